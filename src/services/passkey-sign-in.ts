/**
 * Signing in with a passkey: passwordless with a discoverable credential (no account named, so
 * there is nothing to enumerate), and the check of an assertion that the second-factor step reuses.
 */
import type { AuthenticationResponseJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server'
import type { Kysely } from 'kysely'
import { findPasskeyForSignIn, recordPasskeyUse } from '../db/passkeys-repository.js'
import type { Database } from '../db/types.js'
import { errors } from '../errors.js'
import type { AuditLog } from './audit.js'
import type { PasskeyChallenges } from './passkey-challenges.js'
import type { SessionOrigin } from './sessions.js'
import type { IssuedSession, SignIn } from './sign-in.js'
import { userHandleMatches, type WebAuthn } from './webauthn.js'

export interface PasskeySignInDeps {
  db: Kysely<Database>
  webauthn: WebAuthn
  challenges: PasskeyChallenges
  audit: AuditLog
}

export interface PasskeySignInSteps {
  /** The sign-in step every first factor ends in: a session, or `mfa_required`. */
  signIn: SignIn
}

export interface PasskeyUse {
  userId: string
  passkeyId: string
  /** The authenticator verified the user (PIN, biometrics): the passkey alone is two factors. */
  userVerified: boolean
}

export function createPasskeySignIn ({ db, webauthn, challenges, audit, signIn }: PasskeySignInDeps & PasskeySignInSteps) {
  function refuse (userId: string | null, origin: SessionOrigin): never {
    audit.record({ type: 'login_failed', userId, details: { reason: 'invalid_passkey' } }, origin)
    throw errors.invalidPasskey()
  }

  /**
   * Verifies an assertion against the stored credential and records its use. `account` restricts
   * it to one account's passkeys (the second factor of a login). A counter that did not move
   * forward on a correctly signed assertion means two authenticators hold the key: refused and audited.
   */
  async function verify (
    response: AuthenticationResponseJSON,
    challenge: string | ((challenge: string) => Promise<boolean>),
    origin: SessionOrigin,
    account?: string
  ): Promise<PasskeyUse> {
    const stored = await findPasskeyForSignIn(db, response.id)
    if (stored === undefined || (account !== undefined && stored.user_id !== account)) refuse(account ?? null, origin)
    const { userHandle } = response.response
    if (userHandle !== undefined && userHandle !== '' && !userHandleMatches(userHandle, stored.user_id)) refuse(stored.user_id, origin)
    const assertion = await webauthn.verifyAssertion(response, challenge, { id: stored.id, publicKey: stored.public_key, transports: stored.transports })
      .catch((err: unknown) => {
        audit.record({ type: 'login_failed', userId: stored.user_id, details: { reason: 'invalid_passkey' } }, origin)
        throw err
      })
    const advanced = await recordPasskeyUse(db, stored.id, { counter: assertion.counter, backedUp: assertion.backedUp, at: new Date() })
    if (!advanced) {
      audit.record({
        type: 'passkey_counter_regressed',
        userId: stored.user_id,
        details: { passkey_id: stored.id, stored_counter: Number(stored.counter), presented_counter: assertion.counter }
      }, origin)
      throw errors.invalidPasskey('The signature counter of this passkey went back: it may have been cloned.')
    }
    return { userId: stored.user_id, passkeyId: stored.id, userVerified: assertion.userVerified }
  }

  return {
    verify,

    /** Request options for any discoverable credential of this relying party, and the id of their challenge. */
    async options (): Promise<{ challenge_id: string, options: PublicKeyCredentialRequestOptionsJSON }> {
      const options = await webauthn.requestOptions()
      return { challenge_id: await challenges.keepForSignIn(options.challenge), options }
    },

    /**
     * The challenge is spent whatever the outcome, so a failed attempt cannot be retried with it.
     * A user-verifying authenticator is two factors in one (`amr` hwk + mfa); without user
     * verification the passkey is one factor, and an account with MFA on is asked for the second.
     */
    async signIn (challengeId: string, response: AuthenticationResponseJSON, origin: SessionOrigin): Promise<IssuedSession> {
      const challenge = await challenges.redeemForSignIn(challengeId)
      if (challenge === undefined) refuse(null, origin)
      const use = await verify(response, challenge, origin)
      return await signIn.complete(use.userId, use.userVerified ? ['hwk', 'mfa'] : ['hwk'], origin)
    }
  }
}

export type PasskeySignIn = ReturnType<typeof createPasskeySignIn>
