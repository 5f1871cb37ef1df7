/** Recovery codes: 10 single-use codes of 80 random bits, shown once, kept only as SHA-256 hashes. */
import { createHash } from 'node:crypto'
import { Secret } from 'otpauth'

export const RECOVERY_CODE_COUNT = 10
// 10 bytes are 16 base32 characters: 80 bits, beyond any offline guessing of a fast hash.
const CODE_BYTES = 10
const NORMALIZED = /^[A-Z2-7]{16}$/

/** Fresh codes, as the user sees them: `abcd-efgh-ijkl-mnop`. */
export function newRecoveryCodes (): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () =>
    new Secret({ size: CODE_BYTES }).base32.toLowerCase().match(/.{4}/g)?.join('-') ?? '')
}

/** The hash a code is stored and looked up under; undefined for what cannot be a code. Case, spaces and dashes do not matter. */
export function recoveryCodeHash (code: string): string | undefined {
  const normalized = code.replace(/[\s-]/g, '').toUpperCase()
  if (!NORMALIZED.test(normalized)) return undefined
  return createHash('sha256').update(normalized).digest('base64url')
}

/** Whether a code typed as `mfa_code` looks like a TOTP code rather than a recovery code. */
export function looksLikeTotpCode (code: string): boolean {
  return /^\s*\d{6}\s*$/.test(code)
}
