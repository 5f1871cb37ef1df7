/**
 * The one step every sensitive operation of a signed-in user takes to confirm the password
 * (change-password, PATCH and DELETE /users/me, TOTP enrollment, MFA changes): a wrong password
 * counts as a failed login of the account, so these routes are no guessing oracle beside the
 * throttled login, and past the limit they answer 429 like the login does.
 */
import { errors } from '../errors.js'
import type { LoginThrottle } from './login-throttle.js'
import type { PasswordHasher } from './password-hasher.js'

export interface PasswordRecheck {
  /**
   * Resolves when `password` matches `passwordHash` of the account `userId`; throws 429 when the
   * account's failed logins are used up, and 400 `invalid_current_password` (at `field`) when wrong.
   */
  /** `passwordHash` null: an account without a password (provider sign-in only), which no password confirms. */
  confirm: (userId: string, passwordHash: string | null, password: string, field?: string) => Promise<void>
}

export function createPasswordRecheck (hasher: PasswordHasher, throttle: LoginThrottle): PasswordRecheck {
  return {
    async confirm (userId, passwordHash, password, field = '/current_password') {
      const keys = [throttle.accountKey(userId)]
      await throttle.check(keys)
      if (await hasher.verify(passwordHash, password)) return
      await throttle.failed(keys)
      throw errors.invalidCurrentPassword(field)
    }
  }
}
