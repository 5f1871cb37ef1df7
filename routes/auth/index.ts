/** `/api/v1/auth`: register, login, refresh, logout. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { errors } from '../../src/errors.js'
import { LoginBody, LogoutBody, RefreshBody, RegisterAccepted, RegisterBody, Session, TransportHeaders } from '../../schemas/auth.js'
import { problems } from '../../schemas/problem.js'
import { bodyMayBeOmitted } from '../../plugins/optional-body.js'
import { originOf } from '../../plugins/auth.js'
import { authBodyLimit, BEARER, LOGIN_LIMIT_GROUP, perMinute } from '../route-options.js'
import { clearRefreshCookie, presentedRefreshToken, sessionReply } from './transport.js'

export const VERIFICATION_SENT = 'A link and a code to verify the email address are on their way.'

const bearer = BEARER

const auth: FastifyPluginAsyncTypebox = async (app) => {
  const { config } = app
  const bodyLimit = authBodyLimit(config)

  app.post('/register', {
    bodyLimit,
    config: { rateLimit: perMinute(config.RATE_LIMIT_REGISTER_MAX) },
    schema: {
      tags: ['auth'],
      operationId: 'register',
      summary: 'Create an account, mail its verification and start a session',
      description: 'With `EMAIL_VERIFICATION=required`, answers 202 `{ user, message }` with no tokens: the session starts at `POST /auth/verify-email`.',
      security: [],
      headers: TransportHeaders,
      body: RegisterBody,
      response: { 201: Session, 202: RegisterAccepted, ...problems(409, 413, 415) }
    }
  }, async (request, reply) => {
    const { user, session } = await app.authService.register(request.body, originOf(request))
    if (session === null) {
      reply.code(202)
      return { user, message: VERIFICATION_SENT }
    }
    reply.code(201)
    return sessionReply(request, reply, config, session)
  })

  app.post('/login', {
    bodyLimit,
    config: { rateLimit: perMinute(config.RATE_LIMIT_LOGIN_MAX, LOGIN_LIMIT_GROUP) },
    schema: {
      tags: ['auth'],
      operationId: 'login',
      summary: 'Log in with a username or email and a password',
      security: [],
      description: 'A wrong password is `invalid_credentials` whatever the account. The right password of an account with a ' +
        'second factor answers 401 `mfa_required` with `mfa_token` and `methods`: complete the login at POST /auth/mfa/verify. ' +
        'With `EMAIL_VERIFICATION=required`, a right password of an unverified account answers 403 `email_not_verified`.',
      headers: TransportHeaders,
      body: LoginBody,
      response: { 200: Session, ...problems(401, 403, 413, 415) }
    }
  }, async (request, reply) => {
    const login = request.body.username ?? request.body.email
    if (login === undefined) throw errors.validation('Give `username` or `email`.', [{ path: '/username', message: 'is required' }])
    const issued = await app.authService.login(login, request.body.password, originOf(request))
    return sessionReply(request, reply, config, issued)
  })

  app.post('/refresh', {
    bodyLimit,
    config: { rateLimit: perMinute(config.RATE_LIMIT_REFRESH_MAX) },
    preValidation: bodyMayBeOmitted,
    schema: {
      tags: ['auth'],
      operationId: 'refresh',
      summary: 'Rotate a refresh token: a new pair, the old refresh token retired',
      description: 'The refresh token comes from the body, else from the `refresh_token` cookie (then `X-Auth-Transport` is required); ' +
        'with neither, 401 `invalid_refresh_token`.',
      security: [],
      headers: TransportHeaders,
      body: RefreshBody,
      response: { 200: Session, ...problems(401, 403, 413, 415) }
    }
  }, async (request, reply) => {
    const presented = presentedRefreshToken(request, request.body.refresh_token)
    // 401 like any other missing credential, so a client's "am I signed in?" check keys on 401 alone.
    if (presented === undefined) throw errors.invalidRefreshToken('No refresh token: give `refresh_token` in the body or the cookie.')
    const issued = await app.authService.refresh(presented.token, originOf(request))
    // Authenticated by the cookie, answered by the cookie only: a script on the page never reads the token.
    return sessionReply(request, reply, config, issued, presented)
  })

  app.post('/logout', {
    bodyLimit,
    preValidation: bodyMayBeOmitted,
    schema: {
      tags: ['auth'],
      operationId: 'logout',
      summary: 'End this session, every session, or every other session',
      description: 'Authenticated by the access token, or, without a valid one, by the refresh token (body or cookie): ' +
        'an expired access token and the cookie still end the session and clear the cookie.',
      security: [...bearer, {}],
      body: LogoutBody,
      response: { 204: { type: 'null', description: 'Logged out' }, ...problems(401, 403, 413, 415) }
    }
  }, async (request, reply) => {
    const scope = request.body.scope ?? 'local'
    // An access token that no longer works (expired, most often) is not the end of it: a logout
    // with the refresh token beside it must still end that session, or the cookie lives on.
    let accessRefused: unknown
    await app.authenticateIfPresent(request).catch((err: unknown) => { accessRefused = err })
    let target = request.auth === null ? undefined : { userId: request.auth.claims.sub, sessionId: request.auth.claims.sid }
    if (target === undefined) {
      const presented = presentedRefreshToken(request, request.body.refresh_token)
      if (presented === undefined) {
        throw accessRefused ?? errors.tokenRequired('Give an access token, or a refresh token in the body or the cookie.')
      }
      target = await app.authService.sessionForLogout(presented.token, originOf(request))
    }
    if (target !== undefined) await app.authService.logout(target.userId, target.sessionId, scope, originOf(request))
    if (scope !== 'others') clearRefreshCookie(reply, config)
    return reply.code(204).send()
  })
}

export default auth
