/**
 * The per-email limit of `POST /auth/forgot-password` (3 an hour by default): caps the mail one address
 * can be sent, whoever asks. Every address is counted, registered or not, so the answer reveals nothing.
 */
import { createHash } from 'node:crypto'
import { errors } from '../errors.js'
import type { CounterStore } from '../stores/counter-store.js'
import { normalizeLogin } from './login-throttle.js'

export interface ForgotPasswordLimitSettings {
  max: number
  windowSeconds: number
  /** What is counted, when not forgot-password (resend-verification shares this machinery). */
  scope?: { key: string, message: string }
}

export type LimitDecision = { allowed: true } | { allowed: false, retryAfter: number }

export function createForgotPasswordLimiter (counters: CounterStore, settings: ForgotPasswordLimitSettings, onStoreError: (err: unknown) => void) {
  const scope = settings.scope ?? { key: 'forgot', message: 'Too many password reset requests for this address.' }
  const keyOf = (email: string) => `throttle:${scope.key}:${createHash('sha256').update(normalizeLogin(email)).digest('base64url')}`

  const hit = async (email: string): Promise<LimitDecision> => {
    try {
      const { count, resetInSeconds } = await counters.hit(keyOf(email), settings.windowSeconds)
      return count > settings.max ? { allowed: false, retryAfter: Math.max(1, resetInSeconds) } : { allowed: true }
    } catch (err) {
      // Rate limits fail open: an unreachable store must not stop password resets.
      onStoreError(err)
      return { allowed: true }
    }
  }

  return {
    /** Counts one request for this address and says whether it is within the limit. */
    hit,
    /** Counts one request for this address; throws 429 `rate_limited` with Retry-After over the limit. */
    async consume (email: string): Promise<void> {
      const decision = await hit(email)
      if (!decision.allowed) throw errors.rateLimited(decision.retryAfter, scope.message)
    }
  }
}

export type ForgotPasswordLimiter = ReturnType<typeof createForgotPasswordLimiter>
