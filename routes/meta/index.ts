/** Service metadata: `/` and the JWKS of `/.well-known/jwks.json`. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'

const Jwks = Type.Object({
  keys: Type.Array(Type.Object({
    kty: Type.String(),
    kid: Type.String(),
    alg: Type.String(),
    use: Type.String(),
    crv: Type.Optional(Type.String()),
    x: Type.Optional(Type.String()),
    y: Type.Optional(Type.String()),
    n: Type.Optional(Type.String()),
    e: Type.Optional(Type.String())
  }))
}, { description: 'Public keys of the access-token signer; empty when HS256 is used' })

const meta: FastifyPluginAsyncTypebox<{ version: string }> = async (app, { version }) => {
  app.get('/', {
    config: { rateLimit: false },
    schema: {
      tags: ['meta'],
      operationId: 'root',
      summary: 'Service name, version and where the docs are',
      security: [],
      response: { 200: Type.Object({ name: Type.String(), version: Type.String(), docs: Type.String() }) }
    }
  }, async () => ({ name: 'auth-service', version, docs: '/docs' }))

  app.get('/.well-known/jwks.json', {
    schema: { tags: ['meta'], operationId: 'jwks', summary: 'JSON Web Key Set for verifying access tokens', security: [], response: { 200: Jwks } }
  }, async (_request, reply) => {
    reply.header('cache-control', 'public, max-age=300')
    return { keys: app.signingKeys.jwks.map((k) => ({ ...k, kid: String(k.kid), alg: String(k.alg), use: 'sig', kty: String(k.kty) })) }
  })
}

export default meta
