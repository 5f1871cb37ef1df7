/**
 * What a failed exchange with an identity provider means for the client: an ID token that fails
 * its checks (401 invalid_id_token), a provider that cannot be reached (503 unavailable, and its
 * metadata is fetched again), or one that answered something unusable (502 provider_error).
 */
import * as client from 'openid-client'
import { errors as jose } from 'jose'
import { AppError, errors } from '../../errors.js'

// Checks of the ID token itself (openid-client reports a bad signature as an invalid response, with this message).
const ID_TOKEN_CHECKS = new Set(['OAUTH_JWT_CLAIM_COMPARISON_FAILED', 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED', 'OAUTH_KEY_SELECTION_FAILED'])
const SIGNATURE_FAILURE = 'JWT signature verification failed'

function isUnreachable (err: unknown): boolean {
  if (err instanceof jose.JWKSTimeout) return true
  if (err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError')) return true
  // fetch() reports a refused connection, a reset or a DNS failure as a TypeError with the cause attached.
  return err instanceof TypeError && err.cause !== undefined
}

function causeMessage (err: unknown): string | undefined {
  const cause = (err as { cause?: unknown }).cause
  return cause instanceof Error ? cause.message : undefined
}

export interface ProviderFailureHandler {
  /** Marks the provider for re-discovery. */
  markStale: (name: string) => void
}

/** The AppError a failure of the provider `name` becomes; an AppError passes through unchanged. */
export function providerFailure (err: unknown, name: string, registry: ProviderFailureHandler): AppError {
  if (err instanceof AppError) return err
  if (isUnreachable(err) || isUnreachable((err as { cause?: unknown }).cause)) {
    registry.markStale(name)
    return errors.unavailable(`identity provider ${name}`)
  }
  if (err instanceof client.ClientError && err.code !== undefined) {
    if (ID_TOKEN_CHECKS.has(err.code)) return errors.invalidIdToken(`The ID token failed a check: ${err.message}.`)
    if (err.code === 'OAUTH_INVALID_RESPONSE' && causeMessage(err) === SIGNATURE_FAILURE) return errors.invalidIdToken('The ID token signature is not valid.')
  }
  return errors.providerError()
}
