/** The 6-digit codes of the action mails: drawn uniformly, stored only as salted hashes, compared in constant time. */
import { createHash, randomInt, timingSafeEqual } from 'node:crypto'

export const CODE_PATTERN = '^[0-9]{6}$'

/** How many wrong codes for one address void the code (API.md). */
export const MAX_CODE_ATTEMPTS = 5

export function generateCode (): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0')
}

/**
 * Salted with the hash of the mail's link token, so equal codes of two mails hash apart. Six digits
 * are too few for any hash to hide from an offline search, so what protects a code is that it is
 * tried at most `MAX_CODE_ATTEMPTS` times online and dies with its mail.
 */
export function hashCode (salt: string, code: string): string {
  return createHash('sha256').update(`${salt}:${code}`).digest('base64url')
}

export function codeMatches (salt: string, code: string, storedHash: string): boolean {
  const presented = Buffer.from(hashCode(salt, code))
  const stored = Buffer.from(storedHash)
  return presented.length === stored.length && timingSafeEqual(presented, stored)
}
