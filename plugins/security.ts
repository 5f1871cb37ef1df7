/**
 * Hardening of every answer and every body: security headers (@fastify/helmet), CORS for the
 * origins of `CORS_ORIGINS` only (@fastify/cors), and JSON bodies in UTF-8 as the only thing the
 * JSON routes parse.
 *
 * Cross-site request forgery has nothing to ride on: access tokens travel in the Authorization
 * header, never in a cookie; the refresh cookie is SameSite=Strict and is only read when the call
 * also carries the custom `X-Auth-Transport` header; and a JSON body or a custom header makes the
 * browser ask first (preflight), which only `CORS_ORIGINS` pass. The content types a page of another
 * site can send without asking (forms, text/plain) are answered 415 before any handler runs.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import fp from 'fastify-plugin'
import helmet, { type HelmetOptions } from 'helmet'
import cors from '@fastify/cors'
import { corsOrigins, type Config } from '../src/config.js'
import { errors } from '../src/errors.js'

// The API answers JSON only: nothing in it may run, load, embed or be embedded.
const API_CSP = {
  defaultSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'none'"],
  frameAncestors: ["'none'"]
}

/** Bodies of the auth routes: the largest legitimate one (register) stays well under this. */
const AUTH_BODY_LIMIT = 8 * 1024

export function authBodyLimit (config: Config): number {
  return Math.min(config.BODY_LIMIT, AUTH_BODY_LIMIT)
}

const CHARSET = /;\s*charset\s*=\s*"?([^";\s]+)/i

/**
 * Helmet's headers for these options, worked out once. They do not depend on the request, and
 * @fastify/helmet rebuilds the helmet middleware (CSP parsing included) on every request, which
 * halved the throughput of the bare liveness route.
 */
export function securityHeaders (options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {}
  const response = {
    setHeader (name: string, value: string | number | readonly string[]) { headers[name.toLowerCase()] = String(value) },
    removeHeader (name: string) { Reflect.deleteProperty(headers, name.toLowerCase()) }
  }
  helmet(options)({} as IncomingMessage, response as unknown as ServerResponse, () => {})
  return headers
}

export default fp(async (app) => {
  const headers = securityHeaders({ contentSecurityPolicy: { useDefaults: false, directives: API_CSP } })
  app.addHook('onRequest', async (_request, reply) => { reply.headers(headers) })

  const origins = corsOrigins(app.config)
  if (origins.includes('*')) throw new Error('CORS_ORIGINS cannot hold "*": credentials are allowed, so list each origin')
  if (origins.length > 0) {
    const allowed = new Set(origins)
    await app.register(cors, {
      // Another origin gets no CORS header at all (with a list, credentials would still be announced).
      origin: (origin, callback) => { callback(null, origin !== undefined && allowed.has(origin) ? origin : false) },
      credentials: true,
      methods: ['GET', 'POST', 'PATCH', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type', 'X-Auth-Transport'],
      exposedHeaders: ['Retry-After', 'WWW-Authenticate', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'],
      maxAge: 600,
      // A malformed preflight gets no CORS headers rather than a plain-text error.
      strictPreflight: false
    })
  }

  // Fastify also parses text/plain by default, a type any page can post cross-site without a preflight.
  app.removeContentTypeParser('text/plain')
  // JSON is UTF-8 (RFC 8259): a body declared in another charset would be read wrong, so it is refused.
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body: string, done) => {
    const charset = CHARSET.exec(request.headers['content-type'] ?? '')?.[1]?.toLowerCase()
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      done(errors.unsupportedMediaType('JSON bodies must be UTF-8.'), undefined)
      return
    }
    parseJson(request, body, done)
  })
}, { name: 'security', dependencies: ['config'] })
