/**
 * The password rules of NIST SP 800-63B §5.1.1.2: length after NFKC normalization, no
 * composition rules, and no password an attacker would try first.
 */
import { normalizePassword } from './password-hasher.js'

export const PASSWORD_MAX_LENGTH = 128

export interface PasswordPolicy {
  minLength: number
  /** Lower-case common and breached passwords. */
  common: ReadonlySet<string>
}

export interface PolicyContext {
  email?: string
  username?: string
}

/** Answers why the password is refused, or null when it is acceptable. */
export function passwordProblem (password: string, policy: PasswordPolicy, context: PolicyContext = {}): string | null {
  const normalized = normalizePassword(password)
  const characters = [...normalized]
  if (characters.length < policy.minLength) return `The password must have at least ${policy.minLength} characters.`
  if (characters.length > PASSWORD_MAX_LENGTH) return `The password must have at most ${PASSWORD_MAX_LENGTH} characters.`
  const lower = normalized.toLowerCase()
  if ((context.email !== undefined && lower === normalizePassword(context.email).toLowerCase()) ||
      (context.username !== undefined && lower === normalizePassword(context.username).toLowerCase())) {
    return 'The password must not be the email or the username.'
  }
  if (policy.common.has(lower)) {
    return 'This password is among the most common or breached passwords; choose another (a few unrelated words make a strong one).'
  }
  return null
}
