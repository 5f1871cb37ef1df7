/**
 * Errors of the OAuth 2.0 endpoints (the token endpoint, and revocation called with the RFC 7009
 * form) in the RFC 6749 §5.2 shape: `application/json` `{ error, error_description }` with the HTTP
 * status the problem would have had. OAuth2 client libraries parse only this shape, whatever the
 * status, so 413, 415, 429 and 503 answer it too.
 */
import type { FastifyReply } from 'fastify'
import type { AppError, ErrorCode } from '../../src/errors.js'
import { toAppError } from '../../plugins/errors.js'
import type { OAuthError } from '../../schemas/auth.js'

/** An RFC 6749 error raised by the endpoint itself, for a request that passed the schema. */
export class OAuthFailure extends Error {
  constructor (readonly kind: string, description: string, readonly status = 400) {
    super(description)
  }
}

/**
 * The registered OAuth code of a problem code where one fits; any other problem keeps its own code
 * as an extension code (`rate_limited`, and the `mfa_required` kind that OAuth2 servers use too).
 * A grant the server refuses is 400 `invalid_grant` (RFC 6749 §5.2), never the problem's 401.
 */
const OAUTH_CODES: Partial<Record<ErrorCode, { error: string, status?: number }>> = {
  validation_failed: { error: 'invalid_request' },
  payload_too_large: { error: 'invalid_request' },
  unsupported_media_type: { error: 'invalid_request' },
  bad_request: { error: 'invalid_request' },
  invalid_credentials: { error: 'invalid_grant', status: 400 },
  invalid_refresh_token: { error: 'invalid_grant', status: 400 },
  refresh_token_reused: { error: 'invalid_grant', status: 400 },
  // API.md: the password grant of an account with a second factor, as OAuth2 servers answer it.
  mfa_required: { error: 'mfa_required', status: 403 },
  unavailable: { error: 'temporarily_unavailable' },
  internal_error: { error: 'server_error' }
}

export function oauthErrorOf (err: unknown): { status: number, headers: Record<string, string>, body: OAuthError } {
  if (err instanceof OAuthFailure) return { status: err.status, headers: {}, body: { error: err.kind, error_description: err.message } }
  const problem: AppError = toAppError(err)
  const oauth = OAUTH_CODES[problem.code]
  return {
    status: oauth?.status ?? problem.status,
    headers: problem.headers,
    body: { error: oauth?.error ?? problem.code, error_description: problem.message, ...problem.members }
  }
}

export function sendOAuthError (reply: FastifyReply, err: unknown): FastifyReply {
  const { status, headers, body } = oauthErrorOf(err)
  return reply.code(status).headers(headers).header('cache-control', 'no-store').header('pragma', 'no-cache')
    .type('application/json; charset=utf-8').send(body)
}
