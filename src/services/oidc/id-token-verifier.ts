/**
 * Native sign-in: an ID token the app got from the platform (Sign in with Apple, Google on
 * Android/iOS), checked with jose against the provider's JWKS (cached; fetched again when a token
 * names a key id it does not hold): signature, `iss`, `aud` among the client ids, `exp`, `nonce`.
 */
import { createHash } from 'node:crypto'
import { errors as jose, jwtVerify, type JWTVerifyGetKey } from 'jose'
import { AppError, errors } from '../../errors.js'
import { identityFromClaims, type ProviderIdentity } from './claims.js'
import { providerFailure, type ProviderFailureHandler } from './provider-failure.js'
import type { DiscoveredProvider } from './provider-registry.js'

// Clocks of phones and providers drift a little; a token some seconds past `exp` is still refused soon enough.
const CLOCK_TOLERANCE_SECONDS = 30

const sha256Hex = (value: string): string => createHash('sha256').update(value).digest('hex')

/** A key set whose fetch failures are the provider's (503/502), while "no such key" stays the token's fault. */
function keysOf (provider: DiscoveredProvider, registry: ProviderFailureHandler): JWTVerifyGetKey {
  return async (header, token) => {
    try {
      return await provider.keys(header, token)
    } catch (err) {
      if (err instanceof jose.JWKSNoMatchingKey || err instanceof jose.JWKSMultipleMatchingKeys) throw errors.invalidIdToken('No key of the provider signed this ID token.')
      throw providerFailure(err, provider.name, registry)
    }
  }
}

/**
 * Verifies the token; `nonce`, when given, must equal the token's `nonce` or be its SHA-256 in hex
 * (apps hash the nonce they hand the platform, as Sign in with Apple recommends).
 */
export async function verifyNativeIdToken (provider: DiscoveredProvider, registry: ProviderFailureHandler, idToken: string, nonce: string | undefined): Promise<ProviderIdentity> {
  let payload: Record<string, unknown>
  try {
    ({ payload } = await jwtVerify(idToken, keysOf(provider, registry), {
      issuer: provider.issuers,
      audience: provider.audiences,
      algorithms: provider.algorithms,
      requiredClaims: ['sub', 'exp', 'iat'],
      clockTolerance: CLOCK_TOLERANCE_SECONDS
    }))
  } catch (err) {
    if (err instanceof AppError) throw err
    throw errors.invalidIdToken(err instanceof jose.JOSEError ? `The ID token failed a check (${err.code}).` : undefined)
  }
  if (nonce !== undefined && payload.nonce !== nonce && payload.nonce !== sha256Hex(nonce)) {
    throw errors.invalidIdToken('The ID token nonce does not match.')
  }
  if (typeof payload.sub !== 'string' || payload.sub === '') throw errors.invalidIdToken('The ID token has no subject.')
  return identityFromClaims(provider.name, payload)
}
