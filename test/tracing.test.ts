import t, { type Test } from 'tap'
import { once } from 'node:events'
import { createServer, type IncomingMessage } from 'node:http'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { bearer, build, realRedisUrl, testEnv, TEST_PASSWORD } from './helpers/app.js'

interface OtlpSpan {
  traceId: string
  spanId: string
  parentSpanId?: string
  name: string
  kind: number
  attributes: Array<{ key: string, value: Record<string, unknown> }>
}
interface OtlpExport {
  resourceSpans: Array<{ resource: { attributes: OtlpSpan['attributes'] }, scopeSpans: Array<{ spans: OtlpSpan[] }> }>
}

async function bodyOf (request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString()
}

/** A small OTLP/HTTP receiver: keeps every JSON export posted to /v1/traces. */
async function otlpReceiver (t: Test) {
  const exports: string[] = []
  const server = createServer((request, response) => {
    bodyOf(request).then((body) => {
      if (request.method === 'POST' && request.url === '/v1/traces') exports.push(body)
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    }, () => response.destroy())
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => { server.close() })
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  return { url: `http://127.0.0.1:${address.port}`, exports }
}

const attribute = (span: OtlpSpan, key: string) => span.attributes.find((a) => a.key === key)?.value

t.test('with OTEL_EXPORTER_OTLP_ENDPOINT: a span per request, children for SQL, Redis and argon2', async (t) => {
  const receiver = await otlpReceiver(t)
  const env = await testEnv(t, { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'auth-under-test' })
  const app = await buildApp({ config: loadConfig(env) })
  t.teardown(() => app.close())
  const credentials = { email: 'traced@example.com', username: 'traced', password: TEST_PASSWORD }
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: credentials })).statusCode, 201)
  const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'traced', password: TEST_PASSWORD } })
  t.equal(login.statusCode, 200)
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(login.json().access_token) })).statusCode, 200)
  await app.close()

  t.ok(receiver.exports.length > 0, 'the spans were exported on close')
  const payloads = receiver.exports.map((body) => JSON.parse(body) as OtlpExport)
  const spans = payloads.flatMap((p) => p.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)))
  const resource = payloads[0]?.resourceSpans[0]?.resource.attributes ?? []
  t.same(resource.find((a) => a.key === 'service.name')?.value, { stringValue: 'auth-under-test' })

  const loginSpan = spans.find((s) => s.name === 'POST /api/v1/auth/login')
  t.ok(loginSpan, 'the login request has a span named by its route')
  t.equal(loginSpan?.kind, 2, 'a server span')
  t.same(attribute(loginSpan!, 'http.route'), { stringValue: '/api/v1/auth/login' })
  t.same(attribute(loginSpan!, 'http.response.status_code'), { intValue: 200 })
  const children = spans.filter((s) => s.parentSpanId === loginSpan?.spanId)
  t.ok(children.some((s) => s.name === 'argon2 verify'), 'the password check is a child span')
  t.ok(children.some((s) => s.name.startsWith('sql ')), 'so are its SQL statements')
  const sql = children.find((s) => s.name.startsWith('sql '))
  t.ok(sql !== undefined && sql.traceId === loginSpan?.traceId, 'in the same trace')

  const meSpan = spans.find((s) => s.name === 'GET /api/v1/users/me')
  t.ok(meSpan, 'the profile request has its span')
  if (realRedisUrl !== undefined) {
    t.ok(spans.some((s) => s.parentSpanId === meSpan?.spanId && s.name === 'redis check'), 'the access check is a Redis child span')
  }
  const everything = receiver.exports.join('\n')
  t.notOk(everything.includes(TEST_PASSWORD), 'no password reaches a trace')
  t.notOk(everything.includes(login.json().access_token as string), 'nor a token')
})

t.test('without it, tracing is not even registered', async (t) => {
  const app = await build(t)
  t.equal(app.tracer, undefined)
})
