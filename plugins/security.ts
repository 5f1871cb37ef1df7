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
import { Socket } from 'node:net'
import fp from 'fastify-plugin'
import helmet, { type HelmetOptions } from 'helmet'
import cors from '@fastify/cors'
import { corsOrigins } from '../src/config.js'
import { errors } from '../src/errors.js'

// The API answers JSON only: nothing in it may run, load, embed or be embedded.
const API_CSP = {
  defaultSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'none'"],
  frameAncestors: ["'none'"]
}

const CHARSET = /;\s*charset\s*=\s*"?([^";\s]+)/i

// How much of a refused body is read and thrown away, at most, so the client gets to read the answer.
// As a lingering close does: a bound on the bytes, on the whole time, and on a pause between two reads.
const LINGER_MAX_BYTES = 8 * 1024 * 1024
const LINGER_MAX_MS = 30_000
const LINGER_IDLE_MS = 5000

/**
 * Fastify answers a refused body (413, a parse error) with `Connection: close`, and Node then
 * closes the socket as soon as the answer is written; a client still writing the body meets a
 * reset (Node's fetch reports EPIPE) and never reads the answer. Instead the rest of the body is
 * read and discarded, as a lingering close does, and the connection lives on when it ends in
 * time; a client sending more than the bound, or for longer, is cut off.
 */
function lingerOverRefusedBody (request: IncomingMessage): void {
  const socket = request.socket
  let discarded = 0
  const cutOff = () => { socket.destroy() }
  const timer = setTimeout(cutOff, LINGER_MAX_MS)
  const idle = setTimeout(cutOff, LINGER_IDLE_MS)
  const onData = (chunk: Buffer) => {
    discarded += chunk.length
    if (discarded > LINGER_MAX_BYTES) cutOff()
    idle.refresh()
  }
  const done = () => {
    clearTimeout(timer)
    clearTimeout(idle)
    socket.off('data', onData)
  }
  socket.on('data', onData)
  request.once('end', done)
  socket.once('close', done)
}

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
  // onError, not onSend: only error answers pay for the check.
  app.addHook('onError', async (request, reply) => {
    if (reply.getHeader('connection') === 'close' && !request.raw.complete &&
      request.raw.socket instanceof Socket && !request.raw.socket.destroyed) {
      reply.removeHeader('connection')
      lingerOverRefusedBody(request.raw)
    }
  })

  const origins = corsOrigins(app.config)
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
