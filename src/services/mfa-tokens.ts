/**
 * `mfa_token`s: the half-finished sign-in between a verified first factor and the second. Opaque,
 * kept in the ephemeral store (so every instance sees them) under their hash, bound to the account
 * and the methods already proven, spent by the login they complete or by too many wrong codes.
 */
import { errors } from '../errors.js'
import type { Clock } from '../clock.js'
import type { CounterStore } from '../stores/counter-store.js'
import type { EphemeralStore } from '../stores/ephemeral-store.js'
import { generateOpaqueToken, hashOpaqueToken } from './tokens.js'

export interface MfaChallenge {
  userId: string
  /** RFC 8176 methods of the first factor, e.g. `['pwd']`. */
  amr: string[]
  /** Epoch milliseconds; the store's own expiry is the backstop, this is the rule. */
  expiresAt: number
}

export interface MfaTokenSettings {
  ttlSeconds: number
  maxAttempts: number
}

export function createMfaTokens (store: EphemeralStore, counters: CounterStore, clock: Clock, settings: MfaTokenSettings) {
  const keyOf = (token: string) => `mfa:${hashOpaqueToken(token)}`
  const attemptsKeyOf = (token: string) => `mfa:attempts:${hashOpaqueToken(token)}`

  function parse (value: string | null): MfaChallenge | undefined {
    if (value === null) return undefined
    const challenge = JSON.parse(value) as MfaChallenge
    return challenge.expiresAt > clock.now() ? challenge : undefined
  }

  return {
    async issue (userId: string, amr: readonly string[]): Promise<string> {
      const token = generateOpaqueToken()
      const challenge: MfaChallenge = { userId, amr: [...amr], expiresAt: clock.now() + settings.ttlSeconds * 1000 }
      await store.put(keyOf(token), JSON.stringify(challenge), settings.ttlSeconds)
      return token
    },

    /**
     * The live challenge of a token, with one attempt counted against it before any code is
     * checked, so parallel guesses cannot outrun the limit. Throws `invalid_mfa_token` for an
     * unknown, expired or spent token. `lastAttempt` says this attempt is the final one allowed.
     */
    async attempt (token: string): Promise<MfaChallenge & { lastAttempt: boolean }> {
      const challenge = parse(await store.peek(keyOf(token)))
      if (challenge === undefined) throw errors.invalidMfaToken()
      const { count } = await counters.hit(attemptsKeyOf(token), settings.ttlSeconds)
      if (count > settings.maxAttempts) {
        await store.delete(keyOf(token))
        throw errors.invalidMfaToken()
      }
      return { ...challenge, lastAttempt: count >= settings.maxAttempts }
    },

    /** Spends the token for good; false when a racing request spent it first. */
    async redeem (token: string): Promise<boolean> {
      return parse(await store.take(keyOf(token))) !== undefined
    },

    async spend (token: string): Promise<void> {
      await store.delete(keyOf(token))
    }
  }
}

export type MfaTokens = ReturnType<typeof createMfaTokens>
