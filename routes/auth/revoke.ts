/**
 * `POST /api/v1/auth/revoke`: ends the session of a refresh token. Takes the service's JSON body
 * (`{ refresh_token }`, or the cookie; 204) and the RFC 7009 form (`token=…`; 200 with an empty
 * body, and errors in the RFC 6749 §5.2 shape, as OAuth2 client libraries expect of it).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import formbody from '@fastify/formbody'
import { errors } from '../../src/errors.js'
import { problemsOrOAuthErrors, RefreshBody, RevocationRequest } from '../../schemas/auth.js'
import { problems } from '../../schemas/problem.js'
import { bodyMayBeOmitted } from '../../plugins/optional-body.js'
import { authBodyLimit } from '../route-options.js'
import { originOf } from '../../plugins/auth.js'
import { sendOAuthError } from './oauth-errors.js'
import { clearRefreshCookie, presentedRefreshToken } from './transport.js'

const FORM = 'application/x-www-form-urlencoded'

function isForm (request: FastifyRequest): boolean {
  return (request.headers['content-type'] ?? '').toLowerCase().startsWith(FORM)
}

const revoke: FastifyPluginAsyncTypebox = async (app) => {
  // A cross-site form can post here, but the form variant reads only the token in its body, never
  // the cookie: it can revoke nothing its sender does not already hold.
  await app.register(formbody, { bodyLimit: app.config.BODY_LIMIT })

  app.setErrorHandler((err, request, reply) => {
    if (isForm(request)) return sendOAuthError(reply, err)
    // The JSON variant answers problems, from the parent handler.
    throw err
  })

  app.post('/revoke', {
    bodyLimit: authBodyLimit(app.config),
    preValidation: bodyMayBeOmitted,
    schema: {
      tags: ['auth'],
      operationId: 'revoke',
      summary: 'Revoke a refresh token and end its session (RFC 7009: unknown tokens are not an error)',
      description: 'JSON: `{ refresh_token }`, or none to use the `refresh_token` cookie (with `X-Auth-Transport`); answers 204. ' +
        'RFC 7009 form (`token=…&token_type_hint=…`): answers 200 with an empty body, errors in the RFC 6749 §5.2 shape.',
      security: [],
      body: {
        content: {
          'application/json': { schema: RefreshBody },
          [FORM]: { schema: RevocationRequest }
        }
      },
      response: {
        200: { type: 'null', description: 'RFC 7009 form: revoked, or nothing to revoke' },
        204: { type: 'null', description: 'JSON: revoked, or nothing to revoke' },
        ...problems(403, 415),
        ...problemsOrOAuthErrors(400, 413, 429, 503)
      }
    }
  }, async (request, reply) => {
    if (isForm(request)) {
      const { token } = request.body as RevocationRequest
      await app.authService.revokeRefreshToken(token, originOf(request))
      return reply.code(200).send()
    }
    const presented = presentedRefreshToken(request, (request.body as RefreshBody).refresh_token)
    if (presented === undefined) throw errors.validation('Give `refresh_token` in the body or the cookie.', [{ path: '/refresh_token', message: 'is required' }])
    await app.authService.revokeRefreshToken(presented.token, originOf(request))
    if (presented.fromCookie) clearRefreshCookie(reply, app.config)
    return reply.code(204).send()
  })
}

export default revoke
