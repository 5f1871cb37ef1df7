/**
 * `POST /api/v1/auth/token`: the OAuth2 token endpoint (RFC 6749 §4.3 password grant, §6 refresh),
 * form-encoded only, answering errors in the §5.2 shape so OAuth2 clients and Swagger UI work.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply } from 'fastify'
import formbody from '@fastify/formbody'
import { AppError } from '../../src/errors.js'
import type { IssuedSession } from '../../src/services/auth.js'
import { OAuthError, OAuthGrantRefused, TokenRequest, TokenResponse } from '../../schemas/auth.js'
import { problems } from '../../schemas/problem.js'
import { sendProblem, toAppError } from '../../plugins/errors.js'
import { perMinute } from '../../plugins/rate-limit.js'
import { authBodyLimit } from '../../plugins/security.js'
import { LOGIN_LIMIT_GROUP, originOf } from './index.js'

class OAuthFailure extends Error {
  constructor (readonly kind: OAuthError['error'], description: string, readonly status = 400) {
    super(description)
  }
}

function required (value: string | undefined, name: string): string {
  if (value === undefined || value === '') throw new OAuthFailure('invalid_request', `The ${name} parameter is required.`)
  return value
}

const GRANT_FAILURES = new Set(['invalid_credentials', 'invalid_refresh_token', 'refresh_token_reused'])

function sendOAuthError (reply: FastifyReply, failure: OAuthFailure): FastifyReply {
  return reply.code(failure.status).header('cache-control', 'no-store').header('pragma', 'no-cache')
    .send({ error: failure.kind, error_description: failure.message })
}

const token: FastifyPluginAsyncTypebox = async (app) => {
  // Form bodies only here: a cross-site form could otherwise reach the JSON routes that read the cookie.
  app.removeContentTypeParser('application/json')
  await app.register(formbody, { bodyLimit: app.config.BODY_LIMIT })

  app.setErrorHandler((err, _request, reply) => {
    if (err instanceof OAuthFailure) return sendOAuthError(reply, err)
    const problem = toAppError(err)
    if (problem.code === 'validation_failed') return sendOAuthError(reply, new OAuthFailure('invalid_request', problem.message))
    if (problem instanceof AppError && GRANT_FAILURES.has(problem.code)) {
      return sendOAuthError(reply, new OAuthFailure('invalid_grant', problem.message))
    }
    if (problem instanceof AppError && problem.code === 'email_not_verified') {
      return sendOAuthError(reply, new OAuthFailure('email_not_verified', problem.message, 403))
    }
    if (problem.code === 'mfa_required') {
      const refused: OAuthGrantRefused = { error: 'mfa_required', error_description: problem.message, ...problem.members }
      return reply.code(403).header('cache-control', 'no-store').header('pragma', 'no-cache').send(refused)
    }
    return sendProblem(reply, problem)
  })

  app.post('/token', {
    bodyLimit: authBodyLimit(app.config),
    config: { rateLimit: perMinute(app.config.RATE_LIMIT_LOGIN_MAX, LOGIN_LIMIT_GROUP) },
    schema: {
      tags: ['auth'],
      operationId: 'token',
      summary: 'OAuth2 token endpoint: password and refresh_token grants',
      consumes: ['application/x-www-form-urlencoded'],
      body: TokenRequest,
      // The OAuth2 shapes come last: problems() also declares 400, which they must override.
      response: { ...problems(413, 415), 200: TokenResponse, 400: OAuthError, 401: OAuthError, 403: OAuthGrantRefused }
    }
  }, async (request, reply) => {
    const body = request.body
    let issued: IssuedSession
    if (body.grant_type === 'password') {
      issued = await app.authService.login(required(body.username, 'username'), required(body.password, 'password'), originOf(request))
    } else if (body.grant_type === 'refresh_token') {
      issued = await app.authService.refresh(required(body.refresh_token, 'refresh_token'), originOf(request))
    } else {
      throw new OAuthFailure('unsupported_grant_type', 'grant_type must be password or refresh_token.')
    }
    reply.header('cache-control', 'no-store').header('pragma', 'no-cache')
    return { access_token: issued.accessToken, token_type: 'bearer' as const, expires_in: issued.expiresIn, refresh_token: issued.refreshToken }
  })
}

export default token
