/** RFC 6238 TOTP as authenticator apps expect it (SHA-1, 6 digits, 30 s), through `otpauth`. */
import { Secret, TOTP } from 'otpauth'

const ALGORITHM = 'SHA1'
const DIGITS = 6
export const TOTP_PERIOD_SECONDS = 30
/** Steps of clock skew accepted either side of now. */
const WINDOW = 1
const SECRET_BYTES = 20

const CODE = /^\d{6}$/

/** A new random secret, base32 (160 bits, the size RFC 4226 recommends for SHA-1). */
export function newTotpSecret (): string {
  return new Secret({ size: SECRET_BYTES }).base32
}

function totpOf (secretBase32: string, issuer = '', label = 'account'): TOTP {
  return new TOTP({ issuer, label, secret: Secret.fromBase32(secretBase32), algorithm: ALGORITHM, digits: DIGITS, period: TOTP_PERIOD_SECONDS })
}

/** The `otpauth://totp/…` URI an app scans as a QR code: issuer = the service, label = the account's email. */
export function totpUri (secretBase32: string, issuer: string, label: string): string {
  return totpOf(secretBase32, issuer, label).toString()
}

/**
 * The 30-second step whose code `code` is, within ±1 step of `nowMs`; null for any other code.
 * The caller refuses a step at or before the last one used, so each code works once.
 */
export function matchingTotpStep (secretBase32: string, code: string, nowMs: number): number | null {
  if (!CODE.test(code)) return null
  const totp = totpOf(secretBase32)
  const delta = totp.validate({ token: code, timestamp: nowMs, window: WINDOW })
  return delta === null ? null : totp.counter({ timestamp: nowMs }) + delta
}
