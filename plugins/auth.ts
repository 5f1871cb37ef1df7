/**
 * The bearer guard: `app.authenticate` as an `onRequest` hook fills `request.auth` or answers 401.
 *
 * The access check (JWT verification, then one revocation-store MGET) starts in a root hook as soon
 * as a request arrives, before the rate limit's own store call: both commands are then in flight on
 * the connection together, so an authenticated, rate-limited request waits for one round trip.
 */
import fp from 'fastify-plugin'
import type { FastifyRequest } from 'fastify'
import { AppError, errors } from '../src/errors.js'
import type { Authenticated } from '../src/services/auth.js'
import type { AccessClaims } from '../src/services/tokens.js'

declare module 'fastify' {
  interface FastifyInstance {
    authenticate: (request: FastifyRequest) => Promise<void>
    /** Authenticates when an Authorization header is present; lets the request through without one. */
    authenticateIfPresent: (request: FastifyRequest) => Promise<void>
  }
  interface FastifyRequest {
    auth: Authenticated | null
    /** The access check of the request's bearer token, started on arrival; the guard awaits it. */
    pendingAuth: Promise<Authenticated> | null
    /** The claims of the bearer token once its signature verified (not yet its revocation): the rate limit keys on them. */
    verifiedClaims: AccessClaims | null
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
  app.decorateRequest('pendingAuth', null)
  app.decorateRequest('verifiedClaims', null)

  app.addHook('onRequest', async (request: FastifyRequest) => {
    const token = bearerTokenOf(request.headers.authorization)
    if (token === undefined) return
    let pending: Promise<Authenticated>
    try {
      const claims = app.accessTokens.verify(token)
      if (claims instanceof Promise) {
        // A kid this instance has not loaded yet: the keys are re-read first (rarely: at most every 5 s).
        pending = claims.then((verified) => app.authService.checkAccess(verified))
      } else {
        request.verifiedClaims = claims
        pending = app.authService.checkAccess(claims)
      }
    } catch (err) {
      pending = Promise.reject(err)
    }
    // Observed here so a route that never awaits it (a public one) leaves no unhandled rejection.
    pending.catch(() => undefined)
    request.pendingAuth = pending
  })

  async function authenticateHeader (request: FastifyRequest, header: string): Promise<void> {
    const token = bearerTokenOf(header)
    if (token === undefined) throw withChallenge(errors.invalidToken('The Authorization header must be "Bearer <access token>".'))
    try {
      request.auth = await (request.pendingAuth ?? app.authService.authenticate(token))
    } catch (err) {
      throw withChallenge(err)
    }
  }

  app.decorate('authenticate', async (request: FastifyRequest) => {
    const header = request.headers.authorization
    if (header === undefined) {
      throw errors.tokenRequired()
    }
    await authenticateHeader(request, header)
  })
  app.decorate('authenticateIfPresent', async (request: FastifyRequest) => {
    const header = request.headers.authorization
    if (header !== undefined) await authenticateHeader(request, header)
  })
}, { name: 'auth', dependencies: ['services'] })
