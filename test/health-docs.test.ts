import t from 'tap'
import { setTimeout } from 'node:timers/promises'
import { packageVersion } from '../src/version.js'
import { build } from './helpers/app.js'

interface Operation {
  operationId?: string
  tags?: string[]
  summary?: string
  security?: Array<Record<string, string[]>>
  requestBody?: { content: Record<string, unknown> }
  responses: Record<string, { description?: string, content?: Record<string, { schema: Record<string, unknown> }> }>
}

interface OpenApiDocument {
  openapi: string
  info: { title: string, version: string }
  paths: Record<string, Record<string, Operation>>
  components: { securitySchemes: Record<string, Record<string, unknown>>, schemas: Record<string, unknown> }
}

// What each operation can answer, as the tests of this suite exercise it (rate limits add 429 everywhere).
const EXPECTED_STATUSES: Record<string, number[]> = {
  register: [201, 400, 409, 413, 415, 503],
  login: [200, 400, 401, 413, 415, 503],
  refresh: [200, 400, 401, 403, 413, 415, 503],
  logout: [204, 400, 401, 403, 413, 415, 503],
  revoke: [204, 400, 403, 413, 415, 503],
  token: [200, 400, 413, 415, 429, 503],
  getMe: [200, 401, 503],
  root: [200],
  jwks: [200],
  health: [200, 503],
  liveness: [200],
  readiness: [200, 503],
  startup: [200, 503]
}

t.test('health, metadata and the OpenAPI document', async (t) => {
  const app = await build(t)
  const version = packageVersion()

  t.test('GET / names the service', async (t) => {
    const res = await app.inject({ url: '/' })
    t.equal(res.statusCode, 200)
    t.strictSame(res.json(), { name: 'auth-service', version, docs: '/docs' })
  })

  t.test('GET /health reports every dependency', async (t) => {
    const res = await app.inject({ url: '/health' })
    t.equal(res.statusCode, 200)
    t.equal(res.headers['cache-control'], 'no-store')
    const body = res.json()
    t.strictSame(Object.keys(body).sort(), ['checks', 'status', 'uptime_s', 'version'])
    t.match(body, {
      status: 'ok',
      version,
      uptime_s: Number,
      checks: {
        database: { status: 'ok', latency_ms: Number, backend: /^(postgres|pglite)$/ },
        redis: { status: 'ok', latency_ms: Number, backend: /^(redis|memory)$/ }
      }
    })
    t.equal(body.checks.redis.backend, app.revocations.kind)
  })

  t.test('liveness, readiness and startup probes', async (t) => {
    const live = await app.inject({ url: '/health/liveness' })
    t.equal(live.statusCode, 200)
    t.strictSame(live.json(), { status: 'ok' })
    const ready = await app.inject({ url: '/health/readiness' })
    t.equal(ready.statusCode, 200)
    t.equal(ready.json().status, 'ok')
    const startup = await app.inject({ url: '/health/startup' })
    t.equal(startup.statusCode, 200)
    t.strictSame(startup.json(), { status: 'ok' })
  })

  t.test('GET /docs serves Swagger UI', async (t) => {
    const res = await app.inject({ url: '/docs' })
    t.equal(res.statusCode, 200)
    t.match(res.headers['content-type'], /^text\/html/)
    t.match(res.body, /swagger/i)
  })

  t.test('GET /docs/json: an OpenAPI 3 document covering every route', async (t) => {
    const res = await app.inject({ url: '/docs/json' })
    t.equal(res.statusCode, 200)
    const doc = res.json<OpenApiDocument>()
    t.match(doc.openapi, /^3\./)
    t.equal(doc.info.version, version)

    t.match(doc.components.securitySchemes.bearerAuth, { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    t.match(doc.components.securitySchemes.oauth2, {
      type: 'oauth2',
      flows: { password: { tokenUrl: '/api/v1/auth/token', refreshUrl: '/api/v1/auth/token' } }
    })
    for (const name of ['Problem', 'User', 'Session']) t.ok(doc.components.schemas[name], `components.schemas.${name}`)

    const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ where: `${method.toUpperCase()} ${path}`, op })))
    const ids = operations.map(({ op }) => op.operationId)
    t.strictSame([...new Set(ids)].length, ids.length, 'operationIds are unique')
    for (const id of Object.keys(EXPECTED_STATUSES)) t.ok(ids.includes(id), `the document has ${id}`)

    for (const { where, op } of operations) {
      t.type(op.operationId, 'string', `${where} has an operationId`)
      t.ok((op.tags?.length ?? 0) > 0, `${where} has tags`)
      t.ok((op.summary ?? '') !== '', `${where} has a summary`)
      const expected = EXPECTED_STATUSES[op.operationId ?? '']
      if (expected === undefined) continue
      for (const status of expected) {
        const response = op.responses[String(status)]
        t.ok(response, `${where} declares ${status}`)
        const schema = response?.content?.['application/json']?.schema ?? response?.content?.['application/problem+json']?.schema
        if (status !== 204) t.ok(schema, `${where} has a schema for ${status}`)
      }
      // Errors are problems, except the probes' own reports and the OAuth2 shapes of the token endpoint.
      const ownErrorShapes = ['health', 'readiness', 'startup'].includes(op.operationId ?? '')
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) < 400 || ownErrorShapes) continue
        if (op.operationId === 'token') {
          t.match(response.content?.['application/json']?.schema, { $ref: '#/components/schemas/OAuthError' }, `${where} ${status} is an RFC 6749 error`)
          continue
        }
        t.match(response.content?.['application/problem+json']?.schema, { $ref: '#/components/schemas/Problem' },
          `${where} ${status} is a Problem, as application/problem+json`)
      }
    }

    const byId = Object.fromEntries(operations.map(({ op }) => [op.operationId, op]))
    t.match(doc.components.schemas.OAuthError, { properties: { error: Object, error_description: Object } }, 'RFC 6749 errors are documented')
    t.ok(byId.token?.requestBody?.content['application/x-www-form-urlencoded'], 'the token endpoint takes a form')
    t.match(byId.login?.requestBody?.content['application/json'], { schema: { additionalProperties: false } })
  })
})

t.test('health probes ask the dependencies at most about once a second, however often they are polled', async (t) => {
  const app = await build(t)
  let pings = 0
  const ping = app.revocations.ping.bind(app.revocations)
  app.revocations.ping = async () => { pings += 1; await ping() }

  const burst = await Promise.all(Array.from({ length: 20 }, (_, i) => app.inject({ url: i % 2 === 0 ? '/health' : '/health/readiness' })))
  t.ok(burst.every((res) => res.statusCode === 200))
  for (let i = 0; i < 10; i++) await app.inject({ url: '/health' })
  t.equal(pings, 1, '30 probes, one dependency check')

  await setTimeout(1100)
  t.equal((await app.inject({ url: '/health/readiness' })).statusCode, 200)
  t.equal(pings, 2, 'a fresh check once the cached one is a second old')
})
