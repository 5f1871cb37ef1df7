/**
 * WebAuthn challenges, kept in the shared ephemeral store (Redis or in-process) for 5 minutes, so
 * any instance can finish a ceremony another one started. Each is redeemed once: `take` reads and
 * deletes in one step, so of two racing requests with the same challenge only one gets it.
 */
import { randomBytes } from 'node:crypto'
import type { EphemeralStore } from '../stores/ephemeral-store.js'

export const CHALLENGE_TTL_SECONDS = 300

/** A ceremony of a known account: adding a passkey, or a passkey as the second factor of a login. */
export type AccountCeremony = 'registration' | 'second-factor'

interface Kept {
  challenge: string
  expires_at: number
}

export function createPasskeyChallenges (store: EphemeralStore, now: () => number = Date.now) {
  // The account's hash tag keeps its keys in one Redis Cluster slot, like every key about one user.
  const accountKey = (ceremony: AccountCeremony, userId: string, challenge: string) => `passkey-${ceremony}:{${userId}}:${challenge}`
  const signInKey = (challengeId: string) => `passkey-sign-in:${challengeId}`

  async function keep (key: string, challenge: string): Promise<void> {
    const kept: Kept = { challenge, expires_at: now() + CHALLENGE_TTL_SECONDS * 1000 }
    await store.put(key, JSON.stringify(kept), CHALLENGE_TTL_SECONDS)
  }

  /** The store's TTL removes a challenge in time; the clock check also holds where the store's clock is not ours. */
  async function redeem (key: string): Promise<string | undefined> {
    const raw = await store.take(key)
    if (raw === null) return undefined
    const kept = JSON.parse(raw) as Kept
    return kept.expires_at > now() ? kept.challenge : undefined
  }

  return {
    /**
     * Keyed by the account and the challenge itself, which the signed client data carries back:
     * several ceremonies of one account (two tabs) can run at once, and none can be finished by another account.
     */
    keepForAccount: (ceremony: AccountCeremony, userId: string, challenge: string) => keep(accountKey(ceremony, userId, challenge), challenge),

    /** True once for a challenge kept for this account and ceremony within the last 5 minutes. */
    async redeemForAccount (ceremony: AccountCeremony, userId: string, challenge: string): Promise<boolean> {
      // A challenge is base64url; anything else cannot have been kept and must not shape a key.
      if (!/^[A-Za-z0-9_-]{16,128}$/.test(challenge)) return false
      return (await redeem(accountKey(ceremony, userId, challenge))) === challenge
    },

    /** A sign-in names no account, so the client carries an opaque id of the challenge back. */
    async keepForSignIn (challenge: string): Promise<string> {
      const challengeId = randomBytes(32).toString('base64url')
      await keep(signInKey(challengeId), challenge)
      return challengeId
    },

    redeemForSignIn: (challengeId: string) => redeem(signInKey(challengeId))
  }
}

export type PasskeyChallenges = ReturnType<typeof createPasskeyChallenges>
