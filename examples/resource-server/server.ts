/**
 * A service of yours that trusts the auth service's access tokens without sharing a secret: it
 * verifies them locally against the published JWKS (jose caches it and refetches on a new kid).
 *
 *   AUTH_URL=http://localhost:3000 JWT_ISSUER=auth-service JWT_AUDIENCE=auth-service node --import tsx examples/resource-server/server.ts
 */
import Fastify from 'fastify'
import { createRemoteJWKSet, jwtVerify } from 'jose'

export interface ResourceServerOptions {
  /** Where the auth service publishes its keys: `<auth service>/.well-known/jwks.json`. */
  jwksUrl: URL
  issuer: string
  audience: string
}

export function buildResourceServer ({ jwksUrl, issuer, audience }: ResourceServerOptions) {
  const jwks = createRemoteJWKSet(jwksUrl)
  const app = Fastify()

  app.decorateRequest('claims', null)
  app.addHook('onRequest', async (request, reply) => {
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1]
    try {
      if (token === undefined) throw new Error('no bearer token')
      // RFC 9068: the token type, issuer and audience are checked, not only the signature.
      const { payload } = await jwtVerify(token, jwks, { typ: 'at+jwt', issuer, audience, algorithms: ['EdDSA', 'ES256', 'RS256'] })
      request.claims = payload
    } catch {
      return await reply.code(401).header('www-authenticate', 'Bearer error="invalid_token"').send({ error: 'invalid_token' })
    }
  })

  app.get('/hello', async (request) => ({ hello: request.claims?.sub, roles: request.claims?.roles }))
  return app
}

declare module 'fastify' {
  interface FastifyRequest {
    claims: { sub?: string, roles?: unknown } | null
  }
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  const authUrl = process.env.AUTH_URL ?? 'http://localhost:3000'
  const app = buildResourceServer({
    jwksUrl: new URL('/.well-known/jwks.json', authUrl),
    issuer: process.env.JWT_ISSUER ?? 'auth-service',
    audience: process.env.JWT_AUDIENCE ?? 'auth-service'
  })
  await app.listen({ port: Number(process.env.PORT ?? 4000) })
}
