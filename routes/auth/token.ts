/**
 * `POST /api/v1/auth/token`: the OAuth2 token endpoint (RFC 6749 §4.3 password grant, §6 refresh),
 * form-encoded only, answering errors in the §5.2 shape so OAuth2 clients and Swagger UI work.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import formbody from '@fastify/formbody'
import type { IssuedSession } from '../../src/services/auth.js'
import { oauthErrors, TokenRequest, TokenResponse } from '../../schemas/auth.js'
import { originOf } from '../../plugins/auth.js'
import { authBodyLimit, LOGIN_LIMIT_GROUP, perMinute } from '../route-options.js'
import { OAuthFailure, sendOAuthError } from './oauth-errors.js'

function required (value: string | undefined, name: string): string {
  if (value === undefined || value === '') throw new OAuthFailure('invalid_request', `The ${name} parameter is required.`)
  return value
}

const token: FastifyPluginAsyncTypebox = async (app) => {
  // Form bodies only here: a cross-site form could otherwise reach the JSON routes that read the cookie.
  app.removeContentTypeParser('application/json')
  await app.register(formbody, { bodyLimit: app.config.BODY_LIMIT })

  // Every error of this route, the rate limit's and the body parser's included, in the RFC 6749 shape.
  app.setErrorHandler((err, request, reply) => {
    const sent = sendOAuthError(reply, err)
    if (reply.statusCode >= 500) request.log.error({ err }, 'token request failed')
    return sent
  })

  app.post('/token', {
    bodyLimit: authBodyLimit(app.config),
    config: { rateLimit: perMinute(app.config.RATE_LIMIT_LOGIN_MAX, LOGIN_LIMIT_GROUP) },
    schema: {
      tags: ['auth'],
      operationId: 'token',
      summary: 'OAuth2 token endpoint: password and refresh_token grants',
      security: [],
      consumes: ['application/x-www-form-urlencoded'],
      body: TokenRequest,
      response: { 200: TokenResponse, ...oauthErrors(403, 413, 415) }
    }
  }, async (request, reply) => {
    const body = request.body
    let issued: IssuedSession
    const grantType = required(body.grant_type, 'grant_type')
    if (grantType === 'password') {
      issued = await app.authService.login(required(body.username, 'username'), required(body.password, 'password'), originOf(request))
    } else if (grantType === 'refresh_token') {
      issued = await app.authService.refresh(required(body.refresh_token, 'refresh_token'), originOf(request))
    } else {
      throw new OAuthFailure('unsupported_grant_type', 'grant_type must be password or refresh_token.')
    }
    reply.header('cache-control', 'no-store').header('pragma', 'no-cache')
    return { access_token: issued.accessToken, token_type: 'bearer' as const, expires_in: issued.expiresIn, refresh_token: issued.refreshToken }
  })
}

export default token
