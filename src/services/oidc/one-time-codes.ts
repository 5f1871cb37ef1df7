/**
 * The single-use values of provider sign-in, in the shared store under the hash of the value: the
 * login code the callback hands the app (60 s, bound to the app's S256 challenge, as RFC 7636 binds
 * an authorization code; it carries the verified identity) and the link token a signed-in user
 * carries through the redirect (60 s).
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { EphemeralStore } from '../../stores/ephemeral-store.js'
import { errors } from '../../errors.js'
import { generateOpaqueToken, hashOpaqueToken } from '../tokens.js'
import type { ProviderIdentity } from './claims.js'

export const LOGIN_CODE_TTL_SECONDS = 60
export const LINK_TOKEN_TTL_SECONDS = 60

/** What a login code stands for: a verified identity, to sign in with or to link to `linkUserId`. */
export interface VerifiedSignIn {
  identity: ProviderIdentity
  linkUserId: string | null
}

interface LoginCodeRecord extends VerifiedSignIn {
  codeChallenge: string
}

const codeKey = (code: string): string => `oidc:code:${hashOpaqueToken(code)}`
const linkKey = (token: string): string => `oidc:link:${hashOpaqueToken(token)}`

/** RFC 7636 S256: BASE64URL(SHA256(code_verifier)). */
export function s256 (verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url')
}

function sameText (a: string, b: string): boolean {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}

function isLoginCode (value: unknown): value is LoginCodeRecord {
  return typeof value === 'object' && value !== null &&
    typeof (value as LoginCodeRecord).codeChallenge === 'string' && typeof (value as LoginCodeRecord).identity === 'object'
}

export function createOneTimeCodes (store: EphemeralStore) {
  return {
    async issueLoginCode (signIn: VerifiedSignIn, codeChallenge: string): Promise<string> {
      const code = generateOpaqueToken()
      await store.put(codeKey(code), JSON.stringify({ ...signIn, codeChallenge } satisfies LoginCodeRecord), LOGIN_CODE_TTL_SECONDS)
      return code
    },

    /**
     * What a login code stands for; the code is spent whatever the verifier, so a stolen code tried
     * with a guessed verifier is gone for the thief too. 400 invalid_oauth_state when unknown, used, expired or not matching.
     */
    async redeemLoginCode (code: string, codeVerifier: string): Promise<VerifiedSignIn> {
      const raw = await store.take(codeKey(code))
      const record: unknown = raw === null ? null : JSON.parse(raw)
      if (!isLoginCode(record) || !sameText(s256(codeVerifier), record.codeChallenge)) {
        throw errors.invalidOauthState('The login code is unknown, used or expired, or the code_verifier does not match it.')
      }
      return { identity: record.identity, linkUserId: record.linkUserId }
    },

    async issueLinkToken (userId: string): Promise<string> {
      const token = generateOpaqueToken()
      await store.put(linkKey(token), userId, LINK_TOKEN_TTL_SECONDS)
      return token
    },

    /** The signed-in user a link token was made for; used once. */
    async redeemLinkToken (token: string): Promise<string> {
      const userId = await store.take(linkKey(token))
      if (userId === null) throw errors.invalidToken('The link_token is unknown, used or expired; ask for a new one.')
      return userId
    }
  }
}

export type OneTimeCodes = ReturnType<typeof createOneTimeCodes>
