/** `/api/v1/users`: the signed-in account. Every route here needs an access token. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { errors } from '../../src/errors.js'
import type { Authenticated } from '../../src/services/auth.js'
import { problems } from '../../schemas/problem.js'
import { User } from '../../schemas/user.js'

export function authOf (request: FastifyRequest): Authenticated {
  if (request.auth === null) throw errors.invalidToken()
  return request.auth
}

const users: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticate)

  app.get('/me', {
    schema: {
      tags: ['users'],
      operationId: 'getMe',
      summary: 'The signed-in account',
      security: [{ bearerAuth: [] }],
      response: { 200: User, ...problems(401) }
    }
  }, async (request) => {
    const { claims, userVersion } = authOf(request)
    const user = await app.users.getCurrent(claims.sub, userVersion)
    if (user === undefined) throw errors.tokenRevoked()
    return user
  })
}

export default users
