/** `/api/v1/users` administration: list, read, update and delete other accounts. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { actorOf, originOf } from '../../plugins/auth.js'
import { BEARER, noContent } from '../route-options.js'
import { DEFAULT_PAGE_SIZE, ListUsersQuery, UpdateUserBody, UserPage } from '../../schemas/admin-users.js'
import { IdParams } from '../../schemas/common.js'
import { problems } from '../../schemas/problem.js'
import { User } from '../../schemas/user.js'

const tags = ['users']

const adminUsers: FastifyPluginAsyncTypebox = async (app) => {
  const service = app.adminUsers

  app.get('', {
    onRequest: [app.authenticate, app.requirePermission('users:read')],
    schema: {
      tags,
      operationId: 'listUsers',
      summary: 'Page through live accounts, newest first',
      description: 'Keyset pagination: pass `next_cursor` back as `cursor`. `q` matches the start of the email or the ' +
        'username, case-insensitively. Deleted accounts are not listed; deactivated ones are, with `is_active: false`.',
      security: BEARER,
      querystring: ListUsersQuery,
      response: { 200: UserPage, ...problems(401, 403) }
    }
  }, async (request) => {
    const { limit, cursor, q } = request.query
    return await service.list({ limit: limit ?? DEFAULT_PAGE_SIZE, cursor, q })
  })

  app.get('/:id', {
    onRequest: [app.authenticate, app.requirePermission('users:read')],
    schema: {
      tags,
      operationId: 'getUser',
      summary: 'One account',
      description: 'Deleted accounts are 404.',
      security: BEARER,
      params: IdParams,
      response: { 200: Type.Ref(User), ...problems(401, 403, 404) }
    }
  }, async (request) => await service.get(request.params.id))

  app.patch('/:id', {
    onRequest: [app.authenticate, app.requirePermission('users:write')],
    schema: {
      tags,
      operationId: 'updateUser',
      summary: 'Activate or deactivate an account, replace its roles, or mark its email verified',
      description: '`is_active: false` ends every session of the user at once: their access tokens answer `token_revoked` ' +
        'on the next request and they cannot log in until reactivated. `roles` replaces the whole set (unknown roles are ' +
        '400) and reaches the user\'s access token at its next refresh. 403 when the account, or a role to give, holds ' +
        'permissions the caller lacks; 409 `conflict` when callers would deactivate themselves, take admin from ' +
        'themselves, or leave no active admin.',
      security: BEARER,
      params: IdParams,
      body: UpdateUserBody,
      response: { 200: Type.Ref(User), ...problems(401, 403, 404, 409, 413, 415) }
    }
  }, async (request) => {
    const actor = actorOf(request)
    const user = await service.update(request.params.id, request.body, actor)
    const emailVerified = request.body.email_verified
    if (emailVerified !== undefined) {
      app.audit.record({ type: 'email_verified_set', userId: user.id, details: { email_verified: emailVerified, set_by: actor.id } }, originOf(request))
    }
    return user
  })

  app.delete('/:id', {
    onRequest: [app.authenticate, app.requirePermission('users:delete')],
    schema: {
      tags,
      operationId: 'deleteUser',
      summary: 'Delete an account (soft delete)',
      description: 'Ends every session at once; the email and the username become free again. 403 when the account ' +
        'holds permissions the caller lacks; 409 `conflict` for the caller\'s own account (use DELETE /users/me) and ' +
        'for the last active admin.',
      security: BEARER,
      params: IdParams,
      response: { 204: noContent('Deleted'), ...problems(401, 403, 404, 409) }
    }
  }, async (request, reply) => {
    const actor = actorOf(request)
    await service.remove(request.params.id, actor)
    app.audit.record({ type: 'account_deleted', userId: request.params.id, details: { deleted_by: actor.id } }, originOf(request))
    return reply.code(204).send()
  })

  app.delete('/:id/mfa', {
    onRequest: [app.authenticate, app.requirePermission('users:write')],
    schema: {
      tags: ['users', 'mfa'],
      operationId: 'resetUserMfa',
      summary: 'Remove every second factor of an account (a lost phone)',
      description: 'Ends every session of the user at once and mails `mfa-changed`; the next login needs the password alone. ' +
        '403 when the account holds permissions the caller lacks; an account without factors is no error.',
      security: BEARER,
      params: IdParams,
      response: { 204: { type: 'null', description: 'Every second factor removed; every session ended' }, ...problems(401, 403, 404) }
    }
  }, async (request, reply) => {
    const actor = actorOf(request)
    const id = request.params.id
    const origin = originOf(request)
    const removed = await service.resetSecondFactors(id, actor, (trx) => app.mfaRepository.removeAll(id, trx))
    app.audit.record({ type: 'mfa_reset_by_admin', userId: id, details: { reset_by: actor.id } }, origin)
    const account = removed ? await app.users.findCredentials(id) : undefined
    if (account !== undefined) app.notifier.send('mfa-changed', account, { action: 'removed', factor: 'All second factors', origin })
    return reply.code(204).send()
  })
}

export default adminUsers
