/**
 * Sign-in with identity providers, as the routes use it: the redirect flow for SPAs and apps
 * (authorize, callback, exchange of the login code), native ID-token sign-in, and linking.
 */
import type { IdentityRow } from '../../db/types.js'
import type { IssuedSession } from '../auth.js'
import { errors } from '../../errors.js'
import type { SessionOrigin } from '../sessions.js'
import { verifyNativeIdToken } from './id-token-verifier.js'
import type { IdentityLinking } from './identity-linking.js'
import type { OneTimeCodes } from './one-time-codes.js'
import type { ProviderRegistry } from './provider-registry.js'
import type { RedirectFlow } from './redirect-flow.js'

/** The step after a verified first factor: a session, or `mfa_required` for an account with a second factor. */
export type CompleteSignIn = (userId: string, amr: ['fed'], origin: SessionOrigin) => Promise<IssuedSession>

export interface ProviderSignInDeps {
  registry: ProviderRegistry
  flow: RedirectFlow
  codes: OneTimeCodes
  linking: IdentityLinking
  /** `OAUTH_REDIRECT_URIS`: the only places a login code is ever sent to. */
  redirectUris: string[]
  completeSignIn: CompleteSignIn
}

export interface AuthorizeRequest {
  redirectUri: string
  codeChallenge: string
  linkToken?: string | undefined
}

/** A callback failed after its state was known: the user goes back to the app with the error. */
export class CallbackFailure extends Error {
  readonly redirectUri: string
  constructor (redirectUri: string, cause: unknown) {
    super('provider callback failed', { cause })
    this.name = 'CallbackFailure'
    this.redirectUri = redirectUri
  }
}

export function createProviderSignIn ({ registry, flow, codes, linking, redirectUris, completeSignIn }: ProviderSignInDeps) {
  const allowed = new Set(redirectUris)

  return {
    providers: () => registry.list(),

    /** The provider URL to send the user to. Checked in this order: provider, redirect URI, availability, link token. */
    async authorize (provider: string, request: AuthorizeRequest): Promise<URL> {
      registry.assertKnown(provider)
      if (!allowed.has(request.redirectUri)) throw errors.invalidRedirectUri()
      // Before the link token is spent, so that a provider that is down costs the user nothing.
      await registry.get(provider)
      const linkUserId = request.linkToken === undefined ? null : await codes.redeemLinkToken(request.linkToken)
      return await flow.begin({ provider, redirectUri: request.redirectUri, codeChallenge: request.codeChallenge, linkUserId })
    },

    /**
     * Where the user's browser goes after the provider: the app's redirect URI with a login code for
     * the verified identity. Throws an AppError while the state is unknown (nowhere safe to send
     * anyone), a CallbackFailure after.
     */
    async callback (provider: string, state: string | undefined, query: string): Promise<URL> {
      registry.assertKnown(provider)
      const pending = await flow.redeemState(provider, state)
      try {
        const identity = await flow.complete(pending, query)
        const back = new URL(pending.redirectUri)
        back.searchParams.set('code', await codes.issueLoginCode({ identity, linkUserId: pending.linkUserId }, pending.codeChallenge))
        return back
      } catch (err) {
        throw new CallbackFailure(pending.redirectUri, err)
      }
    },

    /**
     * Signs in (or links) only now, with the app's verifier: a victim lured through an authorize URL
     * that an attacker made, with the attacker's link token, never links anything, because the
     * victim's app cannot exchange a code whose verifier the attacker kept.
     */
    async exchange (code: string, codeVerifier: string, origin: SessionOrigin): Promise<IssuedSession> {
      const { identity, linkUserId } = await codes.redeemLoginCode(code, codeVerifier)
      const userId = linkUserId === null
        ? await linking.resolveSignIn(identity, origin)
        : (await linking.link(linkUserId, identity, origin)).user_id
      return await completeSignIn(userId, ['fed'], origin)
    },

    async signInWithIdToken (provider: string, idToken: string, nonce: string | undefined, origin: SessionOrigin): Promise<IssuedSession> {
      registry.assertKnown(provider)
      const identity = await verifyNativeIdToken(await registry.get(provider), registry, idToken, nonce)
      return await completeSignIn(await linking.resolveSignIn(identity, origin), ['fed'], origin)
    },

    async linkWithIdToken (userId: string, provider: string, idToken: string, nonce: string | undefined, origin: SessionOrigin): Promise<IdentityRow> {
      registry.assertKnown(provider)
      const identity = await verifyNativeIdToken(await registry.get(provider), registry, idToken, nonce)
      return await linking.link(userId, identity, origin)
    },

    issueLinkToken: (userId: string): Promise<string> => codes.issueLinkToken(userId),
    listIdentities: (userId: string): Promise<IdentityRow[]> => linking.list(userId),
    unlink: (userId: string, identityId: string, origin: SessionOrigin): Promise<void> => linking.unlink(userId, identityId, origin)
  }
}

export type ProviderSignIn = ReturnType<typeof createProviderSignIn>
