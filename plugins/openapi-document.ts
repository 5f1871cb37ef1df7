/**
 * What the OpenAPI document says beyond each route's own schema, worked out here once so that
 * every route, whoever adds it, is documented alike:
 * - a route that takes a bearer token also lists `oauth2` (the same token, got by Swagger UI's
 *   Authorize from the token endpoint);
 * - a shared schema (`Session`, `User`, `Role`, `Problem`…) used by value is a `$ref` to its
 *   component, so SDK generators make one type of it, not `Register201`, `Login200`…;
 * - responses declare the headers the plugins add: `x-ratelimit-*` on every answer of a limited
 *   route, `Retry-After` on 429 and 503, `WWW-Authenticate` on 401;
 * - a body the route accepts no body in place of (see optional-body.ts) is not `required`.
 */
import { STATUS_CODES } from 'node:http'
import type { RouteOptions } from 'fastify'
import { hasOptionalBody } from './optional-body.js'

type Json = Record<string, unknown>
type SecurityRequirement = Record<string, string[]>

const OPTIONAL_BODY_MARK = 'x-optional-body'

const RATE_LIMIT_HEADERS: Json = {
  'x-ratelimit-limit': { type: 'integer', description: 'Requests allowed in the window' },
  'x-ratelimit-remaining': { type: 'integer', description: 'Requests left in the window' },
  'x-ratelimit-reset': { type: 'integer', description: 'Seconds until the window starts again' }
}
const RETRY_AFTER: Json = { 'Retry-After': { type: 'integer', description: 'Seconds to wait before trying again' } }
const WWW_AUTHENTICATE: Json = {
  'WWW-Authenticate': { type: 'string', description: 'RFC 6750 challenge: `Bearer`, with `error="invalid_token"` when a token was presented and refused' }
}

function isObject (value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** The same value with every nested shared schema replaced by a `$ref` to it; unchanged parts are shared, nothing is mutated. */
function withRefs (value: unknown, sharedIds: ReadonlySet<string>): unknown {
  if (Array.isArray(value)) {
    const items = value.map((item) => withRefs(item, sharedIds))
    return items.some((item, i) => item !== value[i]) ? items : value
  }
  if (!isObject(value)) return value
  if (typeof value.$id === 'string' && sharedIds.has(value.$id)) return { $ref: value.$id }
  let changed = false
  const entries = Object.entries(value).map(([key, item]) => {
    const documented = withRefs(item, sharedIds)
    changed ||= documented !== item
    return [key, documented] as const
  })
  return changed ? Object.fromEntries(entries) : value
}

/** Whether a response is an error answered by the error handlers (a problem, or an OAuth error), which set these headers. */
function isErrorBody (response: unknown): boolean {
  return /"\$ref":"(Problem|OAuthError)"/.test(JSON.stringify(response))
}

function headersOf (status: string, response: unknown, rateLimited: boolean): Json {
  const error = isErrorBody(response)
  return {
    ...(rateLimited ? RATE_LIMIT_HEADERS : {}),
    ...(error && (status === '429' || status === '503') ? RETRY_AFTER : {}),
    ...(error && status === '401' ? WWW_AUTHENTICATE : {})
  }
}

function documentedResponse (status: string, response: unknown, rateLimited: boolean, sharedIds: ReadonlySet<string>): unknown {
  const referenced = withRefs(response, sharedIds)
  const headers = headersOf(status, referenced, rateLimited)
  if (!isObject(referenced) || (Object.keys(headers).length === 0 && referenced === response)) return referenced
  const withHeaders = { ...(isObject(referenced.headers) ? referenced.headers : {}), ...headers }
  // Already a response object (content by media type), or no body at all: only the headers join it.
  if (isObject(referenced.content) || referenced.type === 'null') return { ...referenced, headers: withHeaders }
  const description = typeof referenced.description === 'string' ? referenced.description : STATUS_CODES[Number(status)] ?? 'Response'
  return { description, headers: withHeaders, content: { 'application/json': { schema: referenced } } }
}

function withOAuth2 (security: unknown): unknown {
  if (!Array.isArray(security)) return security
  const requirements = security as SecurityRequirement[]
  if (!requirements.some((r) => 'bearerAuth' in r) || requirements.some((r) => 'oauth2' in r)) return security
  return requirements.flatMap((r) => ('bearerAuth' in r ? [r, { oauth2: [] }] : [r]))
}

/** @fastify/swagger's per-route `transform`. */
export function documentRoute (route: RouteOptions, sharedIds: ReadonlySet<string>): { schema: Json, url: string } {
  const schema: Json = isObject(route.schema) ? route.schema : {}
  const rateLimited = (route.config as { rateLimit?: unknown } | undefined)?.rateLimit !== false
  const responses = isObject(schema.response) ? schema.response : undefined
  return {
    url: route.url,
    schema: {
      ...schema,
      ...(schema.security === undefined ? {} : { security: withOAuth2(schema.security) }),
      ...(responses === undefined
        ? {}
        : { response: Object.fromEntries(Object.entries(responses).map(([status, r]) => [status, documentedResponse(status, r, rateLimited, sharedIds)])) }),
      ...(schema.body !== undefined && hasOptionalBody(route) ? { [OPTIONAL_BODY_MARK]: true } : {})
    }
  }
}

interface OpenApiOperation {
  requestBody?: { required?: boolean }
  [OPTIONAL_BODY_MARK]?: boolean
}

/**
 * JSON Schema's `examples` (an array) is not an OpenAPI 3.0 schema keyword; @fastify/swagger turns
 * it into `example` only at the top of a property, not inside `anyOf` (a nullable email, say).
 * An `examples` map of Example Objects (media types, parameters) is left alone.
 */
function withExample (node: unknown): void {
  if (Array.isArray(node)) { node.forEach(withExample); return }
  if (!isObject(node)) return
  if (Array.isArray(node.examples)) {
    if (node.example === undefined && node.examples.length > 0) node.example = node.examples[0]
    delete node.examples
  }
  Object.values(node).forEach(withExample)
}

/** @fastify/swagger's `transformObject`: what only the whole document can say. */
export function documentObject<T extends { paths?: object, components?: object }> (document: T): T {
  withExample(document.paths)
  withExample(document.components)
  for (const item of Object.values(document.paths ?? {})) {
    if (!isObject(item)) continue
    for (const operation of Object.values(item)) {
      if (!isObject(operation)) continue
      const op = operation as OpenApiOperation
      if (op[OPTIONAL_BODY_MARK] === true && op.requestBody !== undefined) op.requestBody.required = false
      delete op[OPTIONAL_BODY_MARK]
    }
  }
  return document
}
