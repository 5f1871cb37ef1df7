/** Service metadata: `/`, the JWKS of `/.well-known/jwks.json` and the RFC 8414 authorization server metadata. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { FastifyRequest } from 'fastify'

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

const AuthorizationServerMetadata = Type.Object({
  issuer: Type.String(),
  token_endpoint: Type.String(),
  jwks_uri: Type.String(),
  revocation_endpoint: Type.String(),
  introspection_endpoint: Type.String(),
  grant_types_supported: Type.Array(Type.String()),
  token_endpoint_auth_methods_supported: Type.Array(Type.String()),
  introspection_endpoint_auth_methods_supported: Type.Array(Type.String()),
  response_types_supported: Type.Array(Type.String())
}, { description: 'RFC 8414 authorization server metadata' })

/** Where the endpoints live: the issuer when it is an HTTP(S) URL (RFC 8414 §2), else the host the request came to. */
function baseUrl (issuer: string, request: FastifyRequest): string {
  if (URL.canParse(issuer) && /^https?:$/.test(new URL(issuer).protocol)) return issuer.replace(/\/+$/, '')
  return `${request.protocol}://${request.host}`
}

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
    config: { rateLimit: false },
    schema: { tags: ['meta'], operationId: 'jwks', summary: 'JSON Web Key Set for verifying access tokens', security: [], response: { 200: Jwks } }
  }, async (_request, reply) => {
    reply.header('cache-control', `public, max-age=${app.config.JWKS_MAX_AGE}`)
    return { keys: app.keyRing.jwks() }
  })

  app.get('/.well-known/oauth-authorization-server', {
    config: { rateLimit: false },
    schema: {
      tags: ['meta'],
      operationId: 'authorizationServerMetadata',
      summary: 'RFC 8414 metadata: where the token, revocation and introspection endpoints and the JWKS are',
      security: [],
      response: { 200: AuthorizationServerMetadata }
    }
  }, async (request, reply) => {
    const base = baseUrl(app.config.JWT_ISSUER, request)
    reply.header('cache-control', `public, max-age=${app.config.JWKS_MAX_AGE}`)
    return {
      issuer: app.config.JWT_ISSUER,
      token_endpoint: `${base}/api/v1/auth/token`,
      jwks_uri: `${base}/.well-known/jwks.json`,
      revocation_endpoint: `${base}/api/v1/auth/revoke`,
      introspection_endpoint: `${base}/api/v1/auth/introspect`,
      grant_types_supported: ['password', 'refresh_token'],
      token_endpoint_auth_methods_supported: ['none'],
      introspection_endpoint_auth_methods_supported: ['client_secret_basic'],
      response_types_supported: []
    }
  })
}

export default meta
