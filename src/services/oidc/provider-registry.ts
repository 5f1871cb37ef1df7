/**
 * The configured identity providers and their discovered metadata. Discovery runs at start-up; a
 * provider that cannot be discovered stays configured but unavailable (its routes answer 503) and is
 * asked again, at most every `retrySeconds`, by the next request that needs it. A failure to reach
 * a discovered provider marks it for re-discovery too, since its endpoints may have moved.
 */
import * as client from 'openid-client'
import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose'
import { errors } from '../../errors.js'
import { listOf, type OidcProviderSettings } from '../../oidc-settings.js'

export interface ProviderLogger {
  info: (details: object, message: string) => void
  error: (details: object, message: string) => void
}

export interface ProviderRegistryOptions {
  providers: OidcProviderSettings[]
  /** Allows plain-HTTP issuers (development and tests only). */
  allowInsecureHttp: boolean
  /** The least time between two fetches of a failed provider's metadata or of a JWKS missing a key id. */
  retrySeconds: number
  log: ProviderLogger
}

/** A provider ready for use: its discovered metadata and the key set its ID tokens are checked against. */
export interface DiscoveredProvider {
  name: string
  configuration: client.Configuration
  /** The issuer the provider's discovery document names. */
  issuer: string
  /** What a native ID token's `iss` may be: the issuer, and the bare host Google also uses. */
  issuers: string[]
  /** Every audience a native ID token may carry: `CLIENT_ID` then `CLIENT_IDS`. */
  audiences: string[]
  scopes: string
  /** Asymmetric algorithms only: a token signed with a shared secret or `none` is never accepted. */
  algorithms: string[]
  keys: JWTVerifyGetKey
}

interface Entry {
  settings: OidcProviderSettings
  discovered: DiscoveredProvider | undefined
  stale: boolean
  lastAttempt: number
  pending: Promise<DiscoveredProvider | undefined> | undefined
}

const HTTP_TIMEOUT_SECONDS = 5
// Google documents both forms of its `iss`; its native SDKs have issued each.
const GOOGLE_ISSUER = 'https://accounts.google.com'
const ASYMMETRIC_ALGORITHMS = new Set(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'])

/** What a native ID token's `iss` may be for a provider with this issuer. */
export function acceptedIssuers (issuer: string): string[] {
  return issuer === GOOGLE_ISSUER ? [GOOGLE_ISSUER, 'accounts.google.com'] : [issuer]
}

export function createProviderRegistry ({ providers, allowInsecureHttp, retrySeconds, log }: ProviderRegistryOptions) {
  const entries = new Map<string, Entry>(providers.map((settings) =>
    [settings.name, { settings, discovered: undefined, stale: true, lastAttempt: Number.NEGATIVE_INFINITY, pending: undefined }]))

  async function discover (entry: Entry): Promise<DiscoveredProvider | undefined> {
    const { settings } = entry
    entry.lastAttempt = Date.now()
    try {
      const configuration = await client.discovery(
        new URL(settings.ISSUER),
        settings.CLIENT_ID,
        settings.CLIENT_SECRET,
        settings.CLIENT_SECRET === undefined ? client.None() : client.ClientSecretPost(settings.CLIENT_SECRET),
        {
          timeout: HTTP_TIMEOUT_SECONDS,
          // The ID token of the code flow is checked against the provider's JWKS too, not only trusted for arriving over TLS.
          execute: allowInsecureHttp ? [client.allowInsecureRequests, client.enableNonRepudiationChecks] : [client.enableNonRepudiationChecks]
        })
      const metadata = configuration.serverMetadata()
      if (metadata.jwks_uri === undefined) throw new Error('the discovery document names no jwks_uri')
      const advertised = metadata.id_token_signing_alg_values_supported ?? ['RS256']
      const discovered: DiscoveredProvider = {
        name: settings.name,
        configuration,
        issuer: metadata.issuer,
        issuers: acceptedIssuers(metadata.issuer),
        audiences: [settings.CLIENT_ID, ...listOf(settings.CLIENT_IDS)],
        scopes: settings.SCOPES,
        algorithms: advertised.filter((alg) => ASYMMETRIC_ALGORITHMS.has(alg)),
        keys: createRemoteJWKSet(new URL(metadata.jwks_uri), {
          timeoutDuration: HTTP_TIMEOUT_SECONDS * 1000,
          cooldownDuration: retrySeconds * 1000
        })
      }
      entry.discovered = discovered
      entry.stale = false
      log.info({ provider: settings.name, issuer: discovered.issuer }, 'identity provider discovered')
      return discovered
    } catch (err) {
      log.error({ err, provider: settings.name, issuer: settings.ISSUER }, 'identity provider discovery failed: its sign-in answers 503 until it succeeds')
      return entry.discovered
    }
  }

  /** One discovery at a time per provider, and none more often than `retrySeconds`. */
  function refresh (entry: Entry): Promise<DiscoveredProvider | undefined> {
    if (entry.pending !== undefined) return entry.pending
    if (Date.now() - entry.lastAttempt < retrySeconds * 1000) return Promise.resolve(entry.discovered)
    entry.pending = discover(entry).finally(() => { entry.pending = undefined })
    return entry.pending
  }

  function entryOf (name: string): Entry {
    const entry = entries.get(name)
    if (entry === undefined) throw errors.unknownProvider(name)
    return entry
  }

  return {
    /** Discovers every provider; never throws, so a provider that is down does not stop the service. */
    async start (): Promise<void> {
      await Promise.all([...entries.values()].map((entry) => refresh(entry)))
    },

    list (): Array<{ name: string, issuer: string }> {
      return [...entries.values()].map(({ settings, discovered }) => ({ name: settings.name, issuer: discovered?.issuer ?? settings.ISSUER }))
    },

    /** 404 unknown_provider for a name that is not configured (checked before anything else about the request). */
    assertKnown (name: string): void {
      entryOf(name)
    },

    /** The provider ready for use; 503 while it cannot be discovered. */
    async get (name: string): Promise<DiscoveredProvider> {
      const entry = entryOf(name)
      const discovered = entry.stale ? await refresh(entry) : entry.discovered
      if (discovered === undefined) throw errors.unavailable(`identity provider ${name}`)
      return discovered
    },

    /** After a failure to reach the provider: its metadata is fetched again by the next request that needs it. */
    markStale (name: string): void {
      const entry = entries.get(name)
      if (entry !== undefined) entry.stale = true
    },

    /** Names of the providers that have never been discovered, for readiness. */
    undiscovered (): string[] {
      return [...entries.values()].filter((entry) => entry.discovered === undefined).map((entry) => entry.settings.name)
    }
  }
}

export type ProviderRegistry = ReturnType<typeof createProviderRegistry>
