/**
 * The authorization code flow towards a provider, with openid-client: the service's own state, nonce
 * and PKCE verifier, kept in the shared store for 10 minutes (any instance may receive the callback)
 * and redeemed once; then the code exchange and the ID token checks (signature by the provider's
 * JWKS, `iss`, `aud`, `exp`, `nonce`).
 */
import * as client from 'openid-client'
import type { EphemeralStore } from '../../stores/ephemeral-store.js'
import { errors } from '../../errors.js'
import { hashOpaqueToken } from '../tokens.js'
import { identityFromClaims, type ProviderIdentity } from './claims.js'
import { providerFailure } from './provider-failure.js'
import type { ProviderRegistry } from './provider-registry.js'

export const STATE_TTL_SECONDS = 600

/** What the service remembers between sending the user to the provider and the callback. */
export interface PendingSignIn {
  provider: string
  /** The app's URI the user returns to, exactly as listed in `OAUTH_REDIRECT_URIS`. */
  redirectUri: string
  /** The app's own S256 challenge: only the app that started the sign-in can exchange its login code. */
  codeChallenge: string
  /** Set when a signed-in user links this provider (from a link token). */
  linkUserId: string | null
  codeVerifier: string
  nonce: string
}

export interface RedirectFlowDeps {
  registry: ProviderRegistry
  store: EphemeralStore
  /** `<PUBLIC_URL>/api/v1/auth/oauth/<provider>/callback`, registered at each provider. */
  callbackUrl: (provider: string) => URL
}

const stateKey = (state: string): string => `oidc:state:${hashOpaqueToken(state)}`

function isPendingSignIn (value: unknown): value is PendingSignIn {
  return typeof value === 'object' && value !== null && typeof (value as PendingSignIn).provider === 'string' &&
    typeof (value as PendingSignIn).redirectUri === 'string' && typeof (value as PendingSignIn).codeVerifier === 'string'
}

export function createRedirectFlow ({ registry, store, callbackUrl }: RedirectFlowDeps) {
  return {
    /** Remembers the sign-in and answers the provider's authorization URL to send the user to. */
    async begin (pending: Omit<PendingSignIn, 'codeVerifier' | 'nonce'>): Promise<URL> {
      const provider = await registry.get(pending.provider)
      const state = client.randomState()
      const nonce = client.randomNonce()
      const codeVerifier = client.randomPKCECodeVerifier()
      const record: PendingSignIn = { ...pending, codeVerifier, nonce }
      await store.put(stateKey(state), JSON.stringify(record), STATE_TTL_SECONDS)
      return client.buildAuthorizationUrl(provider.configuration, {
        redirect_uri: callbackUrl(pending.provider).href,
        scope: provider.scopes,
        response_type: 'code',
        state,
        nonce,
        code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256'
      })
    },

    /** Redeems the state of a callback (once); 400 invalid_oauth_state when it is unknown, used, expired or another provider's. */
    async redeemState (provider: string, state: string | undefined): Promise<PendingSignIn> {
      if (state === undefined || state === '') throw errors.invalidOauthState()
      const raw = await store.take(stateKey(state))
      const pending: unknown = raw === null ? null : JSON.parse(raw)
      if (!isPendingSignIn(pending) || pending.provider !== provider) throw errors.invalidOauthState()
      return pending
    },

    /** Exchanges the code of the callback (`query` exactly as received) and checks the ID token. */
    async complete (pending: PendingSignIn, query: string): Promise<ProviderIdentity> {
      const provider = await registry.get(pending.provider)
      const currentUrl = callbackUrl(pending.provider)
      currentUrl.search = query
      try {
        const tokens = await client.authorizationCodeGrant(provider.configuration, currentUrl, {
          pkceCodeVerifier: pending.codeVerifier,
          expectedState: new URLSearchParams(query).get('state') ?? '',
          expectedNonce: pending.nonce,
          idTokenExpected: true
        })
        const claims = tokens.claims()
        if (claims === undefined) throw errors.providerError('The provider sent no ID token.')
        return identityFromClaims(pending.provider, claims)
      } catch (err) {
        throw providerFailure(err, pending.provider, registry)
      }
    }
  }
}

export type RedirectFlow = ReturnType<typeof createRedirectFlow>
