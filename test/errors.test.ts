import t, { type Test } from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import fc from 'fast-check'
import type { LightMyRequestResponse } from 'fastify'
import pg from 'pg'
import type { App } from '../src/app.js'
import { bearer, build, realDatabaseUrl, registerUser, TEST_PASSWORD } from './helpers/app.js'

const PROBLEM_FIELDS = ['code', 'detail', 'status', 'title', 'type']

function assertProblem (t: Test, res: LightMyRequestResponse, status: number, code: string, message = code): void {
  t.equal(res.statusCode, status, `${message}: status`)
  t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8', `${message}: problem+json`)
  const body = res.json<Record<string, unknown>>()
  t.strictSame(Object.keys(body).filter((k) => k !== 'errors').sort(), PROBLEM_FIELDS, `${message}: the five fields`)
  t.match(body, { status, code, type: /^urn:auth-service:problem:/, title: /./, detail: /./ }, message)
}

const json = (app: App, url: string, payload: string, headers: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url, payload, headers: { 'content-type': 'application/json', ...headers } })

t.test('bad input is always a 4xx problem', async (t) => {
  const app = await build(t)
  const { session } = await registerUser(app)

  t.test('unknown routes and methods are 404 problems', async (t) => {
    assertProblem(t, await app.inject({ url: '/nope' }), 404, 'not_found')
    assertProblem(t, await app.inject({ method: 'POST', url: '/api/v1/auth/nope', payload: {} }), 404, 'not_found')
    assertProblem(t, await app.inject({ method: 'GET', url: '/api/v1/auth/login' }), 404, 'not_found', 'wrong method')
    assertProblem(t, await app.inject({ method: 'DELETE', url: '/api/v1/users/me/../../..' }), 404, 'not_found', 'dot segments')
  })

  t.test('malformed and empty JSON are 400', async (t) => {
    assertProblem(t, await json(app, '/api/v1/auth/login', '{"username": "a", '), 400, 'validation_failed', 'truncated JSON')
    assertProblem(t, await json(app, '/api/v1/auth/login', '{\'username\': 1}'), 400, 'validation_failed', 'not JSON')
    assertProblem(t, await json(app, '/api/v1/auth/login', ''), 400, 'validation_failed', 'empty body')
    assertProblem(t, await json(app, '/api/v1/auth/login', 'null'), 400, 'validation_failed', 'null body')
    assertProblem(t, await json(app, '/api/v1/auth/login', '[]'), 400, 'validation_failed', 'array body')
    assertProblem(t, await json(app, '/api/v1/auth/register', '"a string"'), 400, 'validation_failed', 'string body')
  })

  t.test('prototype poisoning is refused, not merged', async (t) => {
    const res = await json(app, '/api/v1/auth/register', '{"email":"p@example.com","username":"proto","password":"correct horse battery staple","__proto__":{"is_admin":true}}')
    assertProblem(t, res, 400, 'validation_failed')
    const ctor = await json(app, '/api/v1/auth/login', '{"username":"proto","password":"x","constructor":{"prototype":{"x":1}}}')
    assertProblem(t, ctor, 400, 'validation_failed')
  })

  t.test('wrong types are not coerced', async (t) => {
    const res = await json(app, '/api/v1/auth/login', JSON.stringify({ username: 'someone', password: 12345678 }))
    assertProblem(t, res, 400, 'validation_failed')
    t.match(res.json().errors, [{ path: '/password', message: String }])
    const bool = await json(app, '/api/v1/auth/register', JSON.stringify({ email: 'b@example.com', username: true, password: TEST_PASSWORD }))
    assertProblem(t, bool, 400, 'validation_failed')
    t.match(bool.json().errors, [{ path: '/username' }])
    const array = await json(app, '/api/v1/auth/refresh', JSON.stringify({ refresh_token: ['a', 'b'] }))
    assertProblem(t, array, 400, 'validation_failed')
  })

  t.test('unknown fields are rejected and named', async (t) => {
    const res = await json(app, '/api/v1/auth/login', JSON.stringify({ username: 'someone', password: TEST_PASSWORD, remember_me: true }))
    assertProblem(t, res, 400, 'validation_failed')
    t.match(res.json().errors, [{ path: '/remember_me', message: 'is not an allowed field' }])
    const logout = await json(app, '/api/v1/auth/logout', JSON.stringify({ scope: 'local', everything: true }), bearer(session.access_token))
    assertProblem(t, logout, 400, 'validation_failed')
    t.match(logout.json().errors, [{ path: '/everything' }])
  })

  t.test('a body over BODY_LIMIT is 413', async (t) => {
    const res = await json(app, '/api/v1/auth/login', JSON.stringify({ username: 'x', password: 'y'.repeat(20_000) }))
    assertProblem(t, res, 413, 'payload_too_large')
  })

  t.test('a content type the route does not take is 415', async (t) => {
    const text = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: 'username=a&password=b', headers: { 'content-type': 'text/plain' } })
    assertProblem(t, text, 415, 'unsupported_media_type', 'text/plain')
    const form = await app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: 'a=b', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
    assertProblem(t, form, 415, 'unsupported_media_type', 'a form to a JSON route')
  })

  t.test('a malformed Authorization header is 401 invalid_token with a challenge', async (t) => {
    for (const header of ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer ', 'Bearer a b', 'garbage', 'Bearer ¡not-b64!', `Bearer ${session.access_token} extra`, `Token ${session.access_token}`]) {
      const res = await app.inject({ url: '/api/v1/users/me', headers: { authorization: header } })
      assertProblem(t, res, 401, 'invalid_token', JSON.stringify(header))
      t.match(res.headers['www-authenticate'], /^Bearer error="invalid_token"/, JSON.stringify(header))
    }
    const lower = await app.inject({ url: '/api/v1/users/me', headers: { authorization: `bearer ${session.access_token}` } })
    t.equal(lower.statusCode, 200, 'the scheme name is case-insensitive (RFC 7235)')
  })

  t.test('no Authorization header is 401 with a bare Bearer challenge', async (t) => {
    const res = await app.inject({ url: '/api/v1/users/me' })
    assertProblem(t, res, 401, 'invalid_token')
    t.equal(res.headers['www-authenticate'], 'Bearer')
  })

  t.test('property: no JSON body makes an auth route answer 5xx', async (t) => {
    const routes = ['/api/v1/auth/register', '/api/v1/auth/login', '/api/v1/auth/refresh', '/api/v1/auth/logout', '/api/v1/auth/revoke']
    const field = fc.oneof(fc.string(), fc.emailAddress(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 }))
    const body = fc.oneof(
      fc.record({ email: field, username: field, password: field, refresh_token: field, scope: field }, { requiredKeys: [] }),
      fc.jsonValue({ maxDepth: 3 })
    )
    await fc.assert(fc.asyncProperty(fc.constantFrom(...routes), body, async (url, payload) => {
      const res = await json(app, url, JSON.stringify(payload))
      return res.statusCode < 500 && res.headers['content-type'] !== undefined
    }), { numRuns: 150 })
    t.pass('150 random bodies, no 5xx')
  })

  t.test('property: no Authorization header makes a protected route answer 5xx', async (t) => {
    const header = fc.oneof(
      fc.string().map((s) => `Bearer ${s}`),
      fc.string({ unit: 'binary-ascii' }),
      fc.tuple(fc.base64String(), fc.base64String(), fc.base64String()).map(([a, b, c]) => `Bearer ${a}.${b}.${c}`)
    ).filter((h) => h.trim() !== '' && /^[\t\x20-\x7e\x80-\xff]*$/.test(h))
    await fc.assert(fc.asyncProperty(header, async (authorization) => {
      const res = await app.inject({ url: '/api/v1/users/me', headers: { authorization } })
      return res.statusCode === 401 || res.statusCode === 400
    }), { numRuns: 150 })
    t.pass('150 random headers, each 4xx')
  })
})

async function freePort (): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  server.close()
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

const REDIS_BINARY = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p))

async function startRedis (port: number): Promise<ChildProcess> {
  if (REDIS_BINARY === undefined) throw new Error('no redis-server')
  const child = spawn(REDIS_BINARY, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString() })
  for (let i = 0; i < 100 && !output.includes('Ready to accept connections'); i++) {
    if (child.exitCode !== null) throw new Error(`redis-server exited: ${output}`)
    await sleep(50)
  }
  if (!output.includes('Ready to accept connections')) throw new Error(`redis-server did not start: ${output}`)
  return child
}

async function stopRedis (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGKILL')
  await exited
}

async function pollUntil (probe: () => Promise<boolean>, attempts = 20, delayMs = 250): Promise<boolean> {
  for (let i = 0; i < attempts; i++) {
    if (await probe()) return true
    await sleep(delayMs)
  }
  return false
}

t.test('Redis down: revocation checks fail closed with 503, and the service recovers by itself', { skip: REDIS_BINARY === undefined ? 'redis-server is not installed' : false }, async (t) => {
  const port = await freePort()
  let redis = await startRedis(port)
  t.teardown(() => stopRedis(redis))
  const app = await build(t, { REDIS_URL: `redis://127.0.0.1:${port}` })
  t.equal(app.revocations.kind, 'redis')
  const { session } = await registerUser(app)
  const me = () => app.inject({ url: '/api/v1/users/me', headers: bearer(session.access_token) })
  t.equal((await me()).statusCode, 200)

  await stopRedis(redis)
  const down = await me()
  assertProblem(t, down, 503, 'unavailable', 'an authenticated route')
  t.equal(down.headers['retry-after'], '5')
  t.notMatch(down.body, /ECONN|127\.0\.0\.1|at /, 'no internals in the answer')

  const readiness = await app.inject({ url: '/health/readiness' })
  t.equal(readiness.statusCode, 503)
  t.match(readiness.json(), { status: 'error', checks: { redis: { status: 'error', backend: 'redis' }, database: { status: 'ok' } } })
  t.equal((await app.inject({ url: '/health/liveness' })).statusCode, 200, 'liveness touches no dependency')

  // The store is written before the database, so a logout that cannot reach Redis changes nothing.
  const logout = await app.inject({ method: 'POST', url: '/api/v1/auth/logout', payload: { refresh_token: session.refresh_token } })
  assertProblem(t, logout, 503, 'unavailable', 'logout by refresh token')

  redis = await startRedis(port)
  t.ok(await pollUntil(async () => (await me()).statusCode === 200), 'recovers without a restart')
  t.equal((await app.inject({ url: '/health/readiness' })).statusCode, 200)
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: session.refresh_token } })).statusCode, 200,
    'the failed logout left the session live')
})

t.test('database gone: 503 unavailable, never 500', { skip: realDatabaseUrl === undefined ? 'needs TEST_DATABASE_URL (a PostgreSQL server to drop a database on)' : false }, async (t) => {
  const app = await build(t)
  const { username, session } = await registerUser(app)
  const database = new URL(app.config.DATABASE_URL ?? '').pathname.slice(1)

  const admin = new pg.Client({ connectionString: realDatabaseUrl })
  await admin.connect()
  t.teardown(() => admin.end())
  const logIn = () => app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password: TEST_PASSWORD } })

  // A restarted server drops every connection; the pool must shed them and reconnect.
  await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [database])
  const afterRestart = await logIn()
  t.ok(afterRestart.statusCode === 200 || afterRestart.statusCode === 503, `a request right after the connections died: ${afterRestart.statusCode}`)
  t.ok(await pollUntil(async () => (await logIn()).statusCode === 200), 'recovers by itself')

  await admin.query(`drop database ${database} with (force)`)

  const login = await logIn()
  assertProblem(t, login, 503, 'unavailable', 'login')
  t.notMatch(login.body, /does not exist|postgres|3D000/i, 'no internals in the answer')
  const refresh = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: session.refresh_token } })
  assertProblem(t, refresh, 503, 'unavailable', 'refresh')
  const readiness = await app.inject({ url: '/health/readiness' })
  t.equal(readiness.statusCode, 503)
  t.match(readiness.json(), { status: 'error', checks: { database: { status: 'error', backend: 'postgres' } } })
})
