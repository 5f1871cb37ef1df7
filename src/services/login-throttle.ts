/**
 * Failed-login throttling per account (API.md): after `max` failures in a window, every login for
 * that account answers 429 until the window ends. Keyed on the normalized login as typed, never on
 * a lookup, so an unknown account is throttled exactly like a real one and the answer reveals nothing.
 */
import { createHash } from 'node:crypto'
import { AppError, errors } from '../errors.js'
import type { CounterStore } from '../stores/counter-store.js'
import type { AuthService } from './auth.js'

export interface LoginThrottleSettings {
  max: number
  windowSeconds: number
}

/** The form under which two spellings of one login count as one: NFKC, trimmed, lower case. */
export function normalizeLogin (login: string): string {
  return login.normalize('NFKC').trim().toLowerCase()
}

export function createLoginThrottle (counters: CounterStore, settings: LoginThrottleSettings, onStoreError: (err: unknown) => void) {
  // Hashed: the store never holds a list of emails.
  const keyOf = (login: string) => `throttle:login:${createHash('sha256').update(normalizeLogin(login)).digest('base64url')}`

  return {
    /**
     * Counts an attempt before the password is checked, so a burst of parallel guesses cannot all
     * slip in before the failures are recorded; a success clears the count, so what remains counts
     * the failures. Throws 429 once the count passes `max`. An unreachable store lets the attempt
     * through (rate limits fail open).
     */
    async attempt (login: string): Promise<void> {
      let count: number
      let resetInSeconds: number
      try {
        ({ count, resetInSeconds } = await counters.hit(keyOf(login), settings.windowSeconds))
      } catch (err) {
        onStoreError(err)
        return
      }
      if (count > settings.max) throw errors.rateLimited(resetInSeconds, 'Too many failed logins for this account.')
    },

    async succeeded (login: string): Promise<void> {
      try {
        await counters.reset(keyOf(login))
      } catch (err) {
        onStoreError(err)
      }
    }
  }
}

export type LoginThrottle = ReturnType<typeof createLoginThrottle>

/** The auth service with every password login (`/auth/login` and the token endpoint) throttled. */
export function withLoginThrottle (auth: AuthService, throttle: LoginThrottle): AuthService {
  return {
    ...auth,
    async login (login, password, origin) {
      await throttle.attempt(login)
      try {
        const issued = await auth.login(login, password, origin)
        await throttle.succeeded(login)
        return issued
      } catch (err) {
        // The password was right: an unverified email is not a failed guess.
        if (err instanceof AppError && err.code === 'email_not_verified') await throttle.succeeded(login)
        throw err
      }
    }
  }
}
