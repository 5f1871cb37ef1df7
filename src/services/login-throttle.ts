/**
 * Failed-login throttling per account (API.md): after `max` failures in a window, every login for
 * that account answers 429 until the window ends. Counted on the normalized login as typed, so an
 * unknown account is throttled exactly like a real one and the answer reveals nothing, and also on
 * the account once the login resolves to one, so its username and its email share one budget. The
 * password re-checks of signed-in users count on the account too.
 *
 * Only failures count (API.md, "Abuse of password re-checks"): an attempt is checked against the
 * count before the password is, and counted only once it failed. So concurrent logins with the
 * right password are never throttled, and neither an answer refused by the throttle nor a 503
 * (the database or the hash queue away) moves the count.
 */
import { createHash } from 'node:crypto'
import { errors } from '../errors.js'
import type { CounterStore } from '../stores/counter-store.js'

export interface LoginThrottleSettings {
  max: number
  windowSeconds: number
}

/** The form under which two spellings of one login count as one: NFKC, trimmed, lower case. */
export function normalizeLogin (login: string): string {
  return login.normalize('NFKC').trim().toLowerCase()
}

export function createLoginThrottle (counters: CounterStore, settings: LoginThrottleSettings, onStoreError: (err: unknown) => void) {
  // Each store call fails open: an unreachable store lets the attempt through (rate limits fail open).
  const guarded = async (keys: string[], op: (key: string) => Promise<unknown>) => {
    try {
      await Promise.all(keys.map(op))
    } catch (err) {
      onStoreError(err)
    }
  }

  return {
    // Hashed: the store never holds a list of emails.
    loginKey: (login: string) => `throttle:login:${createHash('sha256').update(normalizeLogin(login)).digest('base64url')}`,
    accountKey: (userId: string) => `throttle:account:${userId}`,

    /** Throws 429 when any of the keys has used up its failures in the current window. */
    async check (keys: string[]): Promise<void> {
      let counts: Array<{ count: number, resetInSeconds: number }>
      try {
        counts = await Promise.all(keys.map((key) => counters.peek(key)))
      } catch (err) {
        onStoreError(err)
        return
      }
      const spent = counts.filter((c) => c.count >= settings.max)
      if (spent.length > 0) {
        throw errors.rateLimited(Math.max(1, ...spent.map((c) => c.resetInSeconds)), 'Too many failed logins for this account.')
      }
    },

    async failed (keys: string[]): Promise<void> {
      await guarded(keys, (key) => counters.hit(key, settings.windowSeconds))
    },

    async succeeded (keys: string[]): Promise<void> {
      await guarded(keys, (key) => counters.reset(key))
    }
  }
}

export type LoginThrottle = ReturnType<typeof createLoginThrottle>
