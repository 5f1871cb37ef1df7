/** `/api/v1/roles`: list, create and delete roles. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { actorOf } from '../../plugins/auth.js'
import { BEARER, noContent } from '../route-options.js'
import { problems } from '../../schemas/problem.js'
import { CreateRoleBody, DeleteRoleQuery, Role, RoleParams } from '../../schemas/role.js'

const tags = ['roles']

const roles: FastifyPluginAsyncTypebox = async (app) => {
  const canRead = [app.authenticate, app.requirePermission('roles:read')]
  const canWrite = [app.authenticate, app.requirePermission('roles:write')]

  app.get('', {
    onRequest: canRead,
    schema: {
      tags,
      operationId: 'listRoles',
      summary: 'Every role with its permissions',
      security: BEARER,
      response: { 200: Type.Array(Type.Ref(Role)), ...problems(401, 403) }
    }
  }, async () => await app.roles.list())

  app.post('', {
    onRequest: canWrite,
    schema: {
      tags,
      operationId: 'createRole',
      summary: 'Create a role',
      description: 'A role can only be given permissions the caller holds.',
      security: BEARER,
      body: CreateRoleBody,
      response: { 201: Type.Ref(Role), ...problems(401, 403, 409, 413, 415) }
    }
  }, async (request, reply) => {
    const role = await app.roles.create(request.body, actorOf(request).permissions)
    return reply.code(201).send(role)
  })

  app.delete('/:name', {
    onRequest: canWrite,
    schema: {
      tags,
      operationId: 'deleteRole',
      summary: 'Delete a role',
      description: 'Built-in roles cannot be deleted (409 `conflict`). A role that accounts hold is only deleted with ' +
        '`force=true`, which takes it away from them (otherwise 409 `role_in_use`): its permissions stop at once and its ' +
        'name leaves their access tokens at their next refresh. Only a caller holding every permission of the role may delete it.',
      security: BEARER,
      params: RoleParams,
      querystring: DeleteRoleQuery,
      response: { 204: noContent('Deleted'), ...problems(401, 403, 404, 409) }
    }
  }, async (request, reply) => {
    const actor = actorOf(request)
    const { affectedUsers } = await app.roles.remove(request.params.name, { force: request.query.force ?? false }, actor.permissions)
    request.log.info({ role: request.params.name, affectedUsers, by: actor.id }, 'role deleted')
    return reply.code(204).send()
  })
}

export default roles
