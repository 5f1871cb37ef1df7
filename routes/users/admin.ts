/** `/api/v1/users` administration: list, read, update and delete other accounts. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { actorOf } from '../../plugins/permissions.js'
import { originOf } from '../auth/index.js'
import { DEFAULT_PAGE_SIZE, ListUsersQuery, UpdateUserBody, UserPage } from '../../schemas/admin-users.js'
import { IdParams } from '../../schemas/common.js'
import { problems } from '../../schemas/problem.js'
import { User } from '../../schemas/user.js'

const security = [{ bearerAuth: [] }]
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
      security,
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
      security,
      params: IdParams,
      response: { 200: Type.Ref(User), ...problems(401, 403, 404) }
    }
  }, async (request) => await service.get(request.params.id))

  app.patch('/:id', {
    onRequest: [app.authenticate, app.requirePermission('users:write')],
    schema: {
      tags,
      operationId: 'updateUser',
      summary: 'Activate or deactivate an account, or replace its roles',
      description: '`is_active: false` ends every session of the user at once: their access tokens answer `token_revoked` ' +
        'on the next request and they cannot log in until reactivated. `roles` replaces the whole set (unknown roles are ' +
        '400) and reaches the user\'s access token at its next refresh. 403 when the account, or a role to give, holds ' +
        'permissions the caller lacks; 409 `conflict` when callers would deactivate themselves, take admin from ' +
        'themselves, or leave no active admin.',
      security,
      params: IdParams,
      body: UpdateUserBody,
      response: { 200: Type.Ref(User), ...problems(401, 403, 404, 409, 413, 415) }
    }
  }, async (request) => await service.update(request.params.id, request.body, actorOf(request)))

  app.delete('/:id', {
    onRequest: [app.authenticate, app.requirePermission('users:delete')],
    schema: {
      tags,
      operationId: 'deleteUser',
      summary: 'Delete an account (soft delete)',
      description: 'Ends every session at once; the email and the username become free again. 403 when the account ' +
        'holds permissions the caller lacks; 409 `conflict` for the caller\'s own account (use DELETE /users/me) and ' +
        'for the last active admin.',
      security,
      params: IdParams,
      response: { 204: { type: 'null', description: 'Deleted' }, ...problems(401, 403, 404, 409) }
    }
  }, async (request, reply) => {
    const actor = actorOf(request)
    await service.remove(request.params.id, actor)
    app.audit.record({ type: 'account_deleted', userId: request.params.id, details: { deleted_by: actor.id } }, originOf(request))
    return reply.code(204).send()
  })
}

export default adminUsers
