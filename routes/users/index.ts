/** `/api/v1/users`: the signed-in account, its profile and sessions. Every route here needs an access token. */
import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { errors } from '../../src/errors.js'
import { problems } from '../../schemas/problem.js'
import { IdParams } from '../../schemas/common.js'
import { ActiveSession, DeleteMeBody, UpdateMeBody, User } from '../../schemas/user.js'
import { authOf, originOf } from '../../plugins/auth.js'
import { BEARER, noContent } from '../route-options.js'
import { clearRefreshCookie } from '../auth/transport.js'

const users: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticate)

  app.get('/me', {
    schema: {
      tags: ['users'],
      operationId: 'getMe',
      summary: 'The signed-in account',
      security: BEARER,
      response: { 200: User, ...problems(401) }
    }
  }, async (request) => {
    const { claims, userVersion } = authOf(request)
    const user = await app.users.getCurrent(claims.sub, userVersion)
    if (user === undefined) throw errors.tokenRevoked()
    return user
  })

  app.patch('/me', {
    schema: {
      tags: ['users'],
      operationId: 'updateMe',
      summary: 'Change the email and/or username',
      description: 'A new `email` needs `current_password` (400 `validation_failed` without it, `invalid_current_password` when wrong); ' +
        'with MFA on, also `mfa_code`. A new `username` alone needs neither. Fields equal to the current values are no change.',
      security: BEARER,
      body: UpdateMeBody,
      response: { 200: User, ...problems(401, 409, 413, 415) }
    }
  }, async (request) => {
    const { claims } = authOf(request)
    const { email, username, current_password: currentPassword, mfa_code: mfaCode } = request.body
    return await app.accounts.updateProfile(claims.sub, { email, username, currentPassword, mfaCode }, originOf(request))
  })

  app.delete('/me', {
    schema: {
      tags: ['users'],
      operationId: 'deleteMe',
      summary: 'Delete the account (soft delete); every session ends',
      description: 'Needs the password, and `mfa_code` with MFA on. The email and username can register again; this account never logs in again.',
      security: BEARER,
      body: DeleteMeBody,
      response: { 204: noContent('Deleted; the refresh cookie is cleared'), ...problems(401, 413, 415) }
    }
  }, async (request, reply) => {
    await app.accounts.deleteAccount(authOf(request).claims.sub, request.body.password, request.body.mfa_code, originOf(request))
    clearRefreshCookie(reply, app.config)
    return reply.code(204).send()
  })

  app.get('/me/sessions', {
    schema: {
      tags: ['users'],
      operationId: 'listMySessions',
      summary: 'The active sessions of the signed-in account, most recently used first',
      security: BEARER,
      response: { 200: Type.Array(ActiveSession), ...problems(401) }
    }
  }, async (request) => {
    const { claims } = authOf(request)
    return await app.accounts.listSessions(claims.sub, claims.sid)
  })

  app.delete('/me/sessions/:id', {
    schema: {
      tags: ['users'],
      operationId: 'endMySession',
      summary: 'End one of your sessions (this one included)',
      description: 'A session that is not yours, or already ended, is 404.',
      security: BEARER,
      params: IdParams,
      response: { 204: noContent('Session ended'), ...problems(401, 404) }
    }
  }, async (request, reply) => {
    const { claims } = authOf(request)
    await app.accounts.endSession(claims.sub, request.params.id, originOf(request))
    if (request.params.id.toLowerCase() === claims.sid) clearRefreshCookie(reply, app.config)
    return reply.code(204).send()
  })
}

export default users
