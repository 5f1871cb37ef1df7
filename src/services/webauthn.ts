/**
 * The WebAuthn ceremonies of this relying party, on @simplewebauthn/server: the options a browser
 * passes to `navigator.credentials.create()/get()` and the verification of what it answers.
 * Every way a response can fail (malformed, wrong origin or RP ID, bad signature, unknown
 * challenge) is one `invalid_passkey`; only an outage of a dependency passes through as itself.
 */
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON
} from '@simplewebauthn/server'
import { COSEALG } from '@simplewebauthn/server/helpers'
import type { WebAuthnSettings } from '../config.js'
import { AppError, DependencyError, errors } from '../errors.js'
import { CHALLENGE_TTL_SECONDS } from './passkey-challenges.js'

// ES256 first: every platform authenticator has it. No post-quantum algorithm the library might
// add by default: what is accepted is a decision of this service, not of a library upgrade.
export const SUPPORTED_ALGORITHMS = [COSEALG.ES256, COSEALG.EdDSA, COSEALG.RS256]

export interface CredentialDescriptor {
  id: string
  transports: string[]
}

export interface NewCredential {
  id: string
  publicKey: Uint8Array
  counter: number
  transports: string[]
  backedUp: boolean
}

export interface VerifiedAssertion {
  credentialId: string
  counter: number
  userVerified: boolean
  backedUp: boolean
}

/** The WebAuthn user handle of an account: the 16 bytes of its UUID, the same for all its passkeys. */
export function userHandleOf (userId: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(userId.replaceAll('-', ''), 'hex'))
}

export function userHandleMatches (userHandle: string, userId: string): boolean {
  return Buffer.from(userHandle, 'base64url').equals(Buffer.from(userHandleOf(userId)))
}

/** What the library throws about a response becomes `invalid_passkey`; a store outage stays a 503. */
async function verifying<T> (reason: (detail: string) => void, op: () => Promise<T>): Promise<T> {
  try {
    return await op()
  } catch (err) {
    if (err instanceof DependencyError || err instanceof AppError) throw err
    reason(err instanceof Error ? err.message : String(err))
    throw errors.invalidPasskey()
  }
}

type ChallengeCheck = (challenge: string) => Promise<boolean>

const toDescriptor = ({ id, transports }: CredentialDescriptor) => ({ id, transports })

export function createWebAuthn (settings: WebAuthnSettings, onRejected: (detail: string) => void) {
  const { rpId, rpName, origins } = settings
  const timeout = CHALLENGE_TTL_SECONDS * 1000

  return {
    settings,

    async creationOptions (user: { id: string, username: string, email: string }, exclude: CredentialDescriptor[]): Promise<PublicKeyCredentialCreationOptionsJSON> {
      return await generateRegistrationOptions({
        rpName,
        rpID: rpId,
        userID: userHandleOf(user.id),
        userName: user.username,
        userDisplayName: user.email,
        timeout,
        attestationType: 'none',
        excludeCredentials: exclude.map(toDescriptor),
        authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
        supportedAlgorithmIDs: SUPPORTED_ALGORITHMS
      })
    },

    /** Registration: the challenge check redeems the challenge the signed client data names. */
    async verifyRegistration (response: RegistrationResponseJSON, challengeIsKept: ChallengeCheck): Promise<NewCredential> {
      const result = await verifying(onRejected, () => verifyRegistrationResponse({
        response,
        expectedChallenge: challengeIsKept,
        expectedOrigin: origins,
        expectedRPID: rpId,
        requireUserVerification: false,
        supportedAlgorithmIDs: SUPPORTED_ALGORITHMS
      }))
      if (!result.verified) throw errors.invalidPasskey()
      const { credential, credentialBackedUp } = result.registrationInfo
      return {
        id: credential.id,
        publicKey: credential.publicKey,
        counter: credential.counter,
        transports: response.response.transports ?? [],
        backedUp: credentialBackedUp
      }
    },

    async requestOptions (allow: CredentialDescriptor[] = []): Promise<PublicKeyCredentialRequestOptionsJSON> {
      return await generateAuthenticationOptions({
        rpID: rpId,
        timeout,
        userVerification: 'preferred',
        allowCredentials: allow.map(toDescriptor)
      })
    },

    /**
     * Checks the assertion's signature against the stored public key. The counter is handed to
     * the library as 0 so that it verifies the signature in every case: the caller compares the
     * counter afterwards, so only a correctly signed assertion can be reported as a clone.
     */
    async verifyAssertion (
      response: AuthenticationResponseJSON,
      challenge: string | ChallengeCheck,
      credential: { id: string, publicKey: Uint8Array, transports: string[] }
    ): Promise<VerifiedAssertion> {
      const result = await verifying(onRejected, () => verifyAuthenticationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: origins,
        expectedRPID: rpId,
        credential: { id: credential.id, publicKey: new Uint8Array(credential.publicKey), counter: 0, transports: credential.transports },
        requireUserVerification: false
      }))
      if (!result.verified) throw errors.invalidPasskey()
      const info = result.authenticationInfo
      return { credentialId: info.credentialID, counter: info.newCounter, userVerified: info.userVerified, backedUp: info.credentialBackedUp }
    }
  }
}

export type WebAuthn = ReturnType<typeof createWebAuthn>
