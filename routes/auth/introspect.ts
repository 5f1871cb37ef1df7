/** `POST /api/v1/auth/introspect` (RFC 7662), for resource servers that need to see revocations at once. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import formbody from '@fastify/formbody'
import { errors } from '../../src/errors.js'
import { IntrospectionRequest, IntrospectionResponse } from '../../schemas/introspection.js'
import { problems } from '../../schemas/problem.js'

/** RFC 6749 §2.3.1: the client id and secret are form-encoded, then joined by a colon and base64-encoded. */
function basicCredentials (header: string | undefined): { name: string, secret: string } | undefined {
  const match = header === undefined ? null : /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header)
  if (match?.[1] === undefined) return undefined
  const decoded = Buffer.from(match[1], 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon < 0) return undefined
  try {
    const form = (text: string) => decodeURIComponent(text.replaceAll('+', ' '))
    return { name: form(decoded.slice(0, colon)), secret: form(decoded.slice(colon + 1)) }
  } catch {
    return undefined
  }
}

const introspect: FastifyPluginAsyncTypebox = async (app) => {
  app.removeContentTypeParser('application/json')
  await app.register(formbody, { bodyLimit: app.config.BODY_LIMIT })

  app.post('/introspect', {
    schema: {
      tags: ['auth'],
      operationId: 'introspect',
      summary: 'RFC 7662 token introspection for resource servers (HTTP Basic client of INTROSPECTION_CLIENTS)',
      security: [{ introspectionClient: [] }],
      consumes: ['application/x-www-form-urlencoded'],
      body: IntrospectionRequest,
      response: { 200: IntrospectionResponse, ...problems(401, 404, 413, 415) }
    }
  }, async (request, reply) => {
    if (!app.introspection.enabled) throw errors.notFound('Introspection is not configured (INTROSPECTION_CLIENTS).')
    const credentials = basicCredentials(request.headers.authorization)
    app.introspection.authenticateClient(credentials?.name, credentials?.secret)
    reply.header('cache-control', 'no-store')
    return await app.introspection.introspect(request.body.token)
  })
}

export default introspect
