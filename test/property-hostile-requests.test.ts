/**
 * Property: whatever a client sends to any operation of the OpenAPI document (random and hostile
 * bodies, parameters, query strings, content types, cookies, tokens), the answer is never a 5xx,
 * and every 4xx is problem+json with a code (the OAuth2 token endpoint, and revocation called with a
 * form, answer RFC 6749 errors instead).
 *
 * Reproducible: a fixed seed, overridden with PROPERTY_SEED; PROPERTY_RUNS sets the runs per operation.
 */
import t from 'tap'
import fc from 'fast-check'
import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import { build, registerUser } from './helpers/app.js'

const SEED = Number(process.env.PROPERTY_SEED ?? 20260520)
const RUNS = Number(process.env.PROPERTY_RUNS ?? 40)
const TOKEN_ENDPOINT = '/api/v1/auth/token'
const REVOCATION_ENDPOINT = '/api/v1/auth/revoke'
const OAUTH_ERRORS = new Set(['invalid_request', 'invalid_grant', 'unsupported_grant_type', 'rate_limited'])

interface SchemaObject { properties?: Record<string, unknown> }
interface OpenApiParameter { in: string, name: string }
interface OpenApiOperation {
  parameters?: OpenApiParameter[]
  requestBody?: { content: Record<string, { schema?: SchemaObject }> }
  security?: unknown[]
}
interface OpenApiDocument { paths: Record<string, Record<string, OpenApiOperation>> }

interface Operation {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  path: string
  params: OpenApiParameter[]
  bodyTypes: string[]
  bodyFields: string[]
}

function operationsOf (doc: OpenApiDocument): Operation[] {
  const methods = new Set(['get', 'post', 'put', 'patch', 'delete'])
  return Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item)
    .filter(([method]) => methods.has(method))
    .map(([method, op]) => {
      const content = op.requestBody?.content ?? {}
      return {
        method: method.toUpperCase() as Operation['method'],
        path,
        params: op.parameters ?? [],
        bodyTypes: Object.keys(content),
        bodyFields: Object.values(content).flatMap((c) => Object.keys(c.schema?.properties ?? {}))
      }
    }))
}

// Values that have broken parsers, validators, SQL builders and token checks before.
const nasty = fc.constantFrom(
  '', ' ', 'null', 'true', '0', '-1', '1e309', 'NaN', '__proto__', 'constructor', 'prototype',
  '../../../etc/passwd', '%00', '\u0000', '%', '%%', '%E0%A4%A', '<script>alert(1)</script>',
  "' OR '1'='1' --", '"; DROP TABLE users; --', '$' + '{jndi:ldap://x/a}', '\\', '\uD800', '\u202Eevil',
  'A'.repeat(300), 'é'.repeat(600), '😀'.repeat(200), '00000000-0000-0000-0000-000000000000',
  'admin', 'root@localhost', 'password', 'local', 'global', 'others', 'cookie', 'body',
  'password', 'refresh_token', 'authorization_code'
)
const hostileString = fc.oneof(
  nasty,
  fc.string({ maxLength: 40 }),
  // fast-check's default strings are printable ASCII: full Unicode and control characters too.
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'binary-ascii', maxLength: 40 }),
  fc.uuid(),
  fc.emailAddress()
)
// Header values must be what HTTP can carry: printable ASCII.
const headerText = fc.oneof(nasty.filter((s) => /^[\x20-\x7e]*$/.test(s)), fc.string({ maxLength: 60 }))
const jsonValue = fc.oneof(hostileString, fc.jsonValue({ maxDepth: 3 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null))

/** Percent-encodes any string; a lone surrogate (which encodeURIComponent refuses) becomes U+FFFD. */
function encode (value: string): string {
  return encodeURIComponent(value.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD'))
}

function b64url (value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

function tokensFor (accessToken: string): fc.Arbitrary<string> {
  const [header = '', payload = '', signature = ''] = accessToken.split('.')
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>
  return fc.oneof(
    fc.constant(accessToken),
    fc.constant(`${header}.${payload}.${signature.slice(0, -4)}AAAA`),
    fc.constant(`${b64url({ alg: 'none', typ: 'at+jwt' })}.${payload}.`),
    fc.constant(`${b64url({ alg: 'HS256', typ: 'JWT' })}.${payload}.${signature}`),
    fc.constant(`${header}.${b64url({ ...claims, exp: 1 })}.${signature}`),
    fc.tuple(fc.base64String({ maxLength: 40 }), fc.base64String({ maxLength: 80 }), fc.base64String({ maxLength: 44 }))
      .map(([a, b, c]) => `${a}.${b}.${c}`.replaceAll('=', '')),
    headerText
  )
}

interface HostileRequest {
  options: InjectOptions
  /** The URL holds a broken percent-escape: no route matches, so no hook ran. */
  malformedUrl: boolean
}

function requestsFor (op: Operation, session: { access_token: string, refresh_token?: string }): fc.Arbitrary<HostileRequest> {
  const token = tokensFor(session.access_token)
  const refresh = fc.oneof(fc.constant(session.refresh_token ?? ''), hostileString)

  const pathValue = fc.oneof(
    fc.uuid().map((v) => ({ text: v, malformed: false })),
    hostileString.map((v) => ({ text: encode(v), malformed: false })),
    fc.constantFrom('%', '%zz', '%E0%A4%A').map((v) => ({ text: v, malformed: true }))
  )
  const pathParams = op.params.filter((p) => p.in === 'path')
  const url = fc.tuple(
    fc.tuple(...pathParams.map(() => pathValue)),
    fc.array(fc.tuple(
      fc.oneof(fc.constantFrom(...op.params.filter((p) => p.in === 'query').map((p) => p.name), 'limit', '__proto__', 'a[b]'), fc.string({ maxLength: 10 })),
      fc.oneof(hostileString.map(encode), fc.constantFrom('%', '', '1', '-1', '1000000', 'a&b'))
    ), { maxLength: 4 })
  ).map(([values, query]) => {
    let path = op.path
    pathParams.forEach((p, i) => { path = path.replace(`{${p.name}}`, values[i]?.text ?? '') })
    const search = query.map(([k, v]) => `${encode(k)}=${v}`).join('&')
    return { url: search === '' ? path : `${path}?${search}`, malformed: values.some((v) => v.malformed) }
  })

  const shaped = fc.dictionary(
    fc.oneof(fc.constantFrom(...op.bodyFields, 'extra', 'is_admin', 'roles'), fc.string({ maxLength: 8 })),
    jsonValue,
    { maxKeys: 6 }
  )
  const form = fc.array(fc.tuple(
    fc.oneof(fc.constantFrom(...op.bodyFields, 'grant_type'), fc.string({ maxLength: 8 })),
    fc.oneof(hostileString, refresh)
  ), { maxLength: 6 }).map((pairs) => new URLSearchParams(pairs).toString())
  // Every field present and a string: the body gets past the schema's shape to the handler.
  const complete = fc.tuple(...op.bodyFields.map(() => hostileString))
    .map((values) => JSON.stringify(Object.fromEntries(op.bodyFields.map((f, i) => [f, values[i]]))))
  const body: fc.Arbitrary<string | undefined> = fc.oneof(
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 2, arbitrary: complete },
    { weight: 4, arbitrary: shaped.map((o) => JSON.stringify(o)) },
    { weight: 2, arbitrary: refresh.map((r) => JSON.stringify({ refresh_token: r })) },
    { weight: 1, arbitrary: fc.json({ maxDepth: 3 }) },
    { weight: 2, arbitrary: form },
    { weight: 1, arbitrary: hostileString },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '{', '[', '{"a":', '{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{"admin":true}}}',
        '['.repeat(5000) + ']'.repeat(5000), JSON.stringify({ password: 'x'.repeat(40_000) }), '\u0000\u0001', 'null', '"string"', '12'
      )
    }
  )
  const contentType = fc.oneof(
    fc.constantFrom(...op.bodyTypes, 'application/json'),
    fc.constantFrom('application/json; charset=utf-8', 'application/json; charset=latin1', 'text/plain',
      'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', ''),
    headerText
  )

  return fc.record({
    url,
    body,
    contentType: fc.option(contentType),
    authorization: fc.option(fc.oneof(
      token.map((tk) => `Bearer ${tk}`),
      token.map((tk) => `bearer  ${tk}`),
      fc.constantFrom('Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', `Bearer ${'a'.repeat(5000)}`),
      headerText
    )),
    transport: fc.option(fc.oneof(fc.constantFrom('cookie', 'body'), headerText)),
    cookie: fc.option(fc.oneof(refresh.map((r) => `refresh_token=${encode(r)}`), headerText))
  }).map(({ url, body, contentType, authorization, transport, cookie }) => {
    const headers: Record<string, string> = {}
    if (contentType !== null && body !== undefined) headers['content-type'] = contentType
    if (authorization !== null) headers.authorization = authorization
    if (transport !== null) headers['x-auth-transport'] = transport
    if (cookie !== null) headers.cookie = cookie
    return {
      options: { method: op.method, url: url.url, headers, ...(body === undefined ? {} : { payload: body }) },
      malformedUrl: url.malformed
    }
  })
}

function checkAnswer (op: Operation, request: HostileRequest, res: LightMyRequestResponse): void {
  const where = `${op.method} ${request.options.url ?? ''} answered ${res.statusCode}: ${res.body.slice(0, 300)}`
  if (res.statusCode >= 500) throw new Error(`a 5xx: ${where}`)
  // A parameter over the router's length limit (414) is refused before any route, like a broken escape.
  if (op.path.startsWith('/api/v1/') && !request.malformedUrl && res.statusCode !== 414 && res.headers['x-ratelimit-limit'] === undefined) {
    throw new Error(`no rate limit headers: ${where}`)
  }
  if (res.statusCode < 400) return
  const type = String(res.headers['content-type'] ?? '')
  const body = res.json<Record<string, unknown>>()
  const sentForm = String(request.options.headers?.['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')
  if (op.path === TOKEN_ENDPOINT || (op.path === REVOCATION_ENDPOINT && sentForm)) {
    if (!type.startsWith('application/json')) throw new Error(`not application/json: ${where}`)
    if (!OAUTH_ERRORS.has(String(body.error)) || typeof body.error_description !== 'string') throw new Error(`not an RFC 6749 error: ${where}`)
    return
  }
  if (!type.startsWith('application/problem+json')) throw new Error(`not problem+json: ${where}`)
  if (typeof body.code !== 'string' || body.status !== res.statusCode || typeof body.title !== 'string' || typeof body.type !== 'string') {
    throw new Error(`not a problem body: ${where}`)
  }
  if (res.statusCode === 429 && res.headers['retry-after'] === undefined) throw new Error(`429 without Retry-After: ${where}`)
}

t.test('no operation answers a hostile request with a 5xx or a body that is not a problem', async (t) => {
  const app = await build(t)
  const doc = (await app.inject({ url: '/docs/json' })).json<OpenApiDocument>()
  const operations = operationsOf(doc)
  t.ok(operations.length >= 14, `${operations.length} operations in the OpenAPI document`)

  for (const op of operations) {
    t.test(`${op.method} ${op.path}`, async (t) => {
      // Each operation gets a live session of its own: another operation may have ended the last one.
      const { session } = await registerUser(app)
      await fc.assert(
        fc.asyncProperty(requestsFor(op, session), async (request) => {
          checkAnswer(op, request, await app.inject(request.options))
        }),
        { numRuns: RUNS, seed: SEED }
      )
      t.pass(`${RUNS} hostile requests, seed ${SEED}`)
    })
  }
})

t.test('a URL with a broken percent-escape answers a problem, not Fastify\'s own JSON', async (t) => {
  const app = await build(t)
  for (const url of ['/api/v1/users/%', '/%E0%A4%A', '/api/v1/auth/%zz']) {
    const res = await app.inject({ url })
    t.equal(res.statusCode, 400, url)
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8', url)
    t.match(res.json(), { status: 400, code: 'validation_failed' }, url)
  }
})
