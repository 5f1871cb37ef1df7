/** The password rules of NIST SP 800-63B: length after NFKC normalization, no composition rules. */
import { normalizePassword } from './password-hasher.js'

export const PASSWORD_MAX_LENGTH = 128

export interface PolicyContext {
  email?: string
  username?: string
}

/** Answers why the password is refused, or null when it is acceptable. */
export function passwordProblem (password: string, minLength: number, context: PolicyContext = {}): string | null {
  const normalized = normalizePassword(password)
  const length = [...normalized].length
  if (length < minLength) return `The password must have at least ${minLength} characters.`
  if (length > PASSWORD_MAX_LENGTH) return `The password must have at most ${PASSWORD_MAX_LENGTH} characters.`
  const lower = normalized.toLowerCase()
  if ((context.email !== undefined && lower === context.email.toLowerCase()) ||
      (context.username !== undefined && lower === context.username.toLowerCase())) {
    return 'The password must not be the email or the username.'
  }
  return null
}
