/** The bearer guard: `app.authenticate` as an `onRequest` hook fills `request.auth` or answers 401. */
import fp from 'fastify-plugin'
import type { FastifyRequest } from 'fastify'
import { AppError } from '../src/errors.js'
import type { Authenticated } from '../src/services/auth.js'

declare module 'fastify' {
  interface FastifyInstance {
    authenticate: (request: FastifyRequest) => Promise<void>
    /** Authenticates when an Authorization header is present; lets the request through without one. */
    authenticateIfPresent: (request: FastifyRequest) => Promise<void>
  }
  interface FastifyRequest {
    auth: Authenticated | null
  }
}

// RFC 6750 §2.1: "Bearer" then a b64token.
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i

/** The token of a well-formed `Authorization: Bearer` header, else undefined. */
export function bearerTokenOf (header: string | undefined): string | undefined {
  return header === undefined ? undefined : BEARER.exec(header)?.[1]
}

function withChallenge (err: unknown): unknown {
  if (err instanceof AppError && err.status === 401) {
    err.headers['www-authenticate'] = `Bearer error="invalid_token", error_description="${err.message.replaceAll('"', "'")}"`
  }
  return err
}

export default fp(async (app) => {
  app.decorateRequest('auth', null)

  async function authenticateHeader (request: FastifyRequest, header: string): Promise<void> {
    const token = bearerTokenOf(header)
    if (token === undefined) throw withChallenge(new AppError(401, 'invalid_token', 'The Authorization header must be "Bearer <access token>".'))
    try {
      request.auth = await app.authService.authenticate(token)
    } catch (err) {
      throw withChallenge(err)
    }
  }

  app.decorate('authenticate', async (request: FastifyRequest) => {
    const header = request.headers.authorization
    if (header === undefined) {
      throw new AppError(401, 'invalid_token', 'This route needs an access token.', { headers: { 'www-authenticate': 'Bearer' } })
    }
    await authenticateHeader(request, header)
  })
  app.decorate('authenticateIfPresent', async (request: FastifyRequest) => {
    const header = request.headers.authorization
    if (header !== undefined) await authenticateHeader(request, header)
  })
}, { name: 'auth', dependencies: ['services'] })
