import { createHmac } from 'node:crypto'
import t, { type Test } from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { bearer, build, TEST_PASSWORD, type SessionBody } from './helpers/app.js'

// An anonymous request under the global limit: any unknown path (the /.well-known documents are not limited).
const ANON = '/api/v1/no-such-route'

let ipCounter = 0
/** Every subtest is a client of its own, so one app serves them all. */
function nextIp (): string {
  ipCounter += 1
  return `198.51.100.${ipCounter}`
}

function assertLimited (t: Test, res: LightMyRequestResponse, limit: number): void {
  t.equal(res.statusCode, 429)
  t.match(res.headers['content-type'], /^application\/problem\+json/)
  t.match(res.json(), { status: 429, code: 'rate_limited', title: 'Too many requests' })
  const retryAfter = Number(res.headers['retry-after'])
  t.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter} within the window`)
  t.equal(res.headers['x-ratelimit-limit'], String(limit))
  t.equal(res.headers['x-ratelimit-remaining'], '0')
}

/** An access token with the claims of `token` but signed with another key. */
function forgedLike (token: string): string {
  const [header, payload] = token.split('.')
  const signature = createHmac('sha256', 'an-attacker-secret-of-at-least-32-bytes!').update(`${header}.${payload}`).digest('base64url')
  return `${header}.${payload}.${signature}`
}

t.test('rate limits', async (t) => {
  const app = await build(t, {
    RATE_LIMIT_MAX: '3',
    RATE_LIMIT_LOGIN_MAX: '2',
    RATE_LIMIT_REGISTER_MAX: '2',
    RATE_LIMIT_REFRESH_MAX: '2'
  })
  const get = (url: string, remoteAddress: string, headers: Record<string, string> = {}) =>
    app.inject({ method: 'GET', url, remoteAddress, headers })
  // Each account comes from an address of its own, leaving the register budgets of the tests alone.
  const registerUser = async () => {
    const ip = nextIp()
    const credentials = { email: `user${ipCounter}@example.com`, username: `user${ipCounter}`, password: TEST_PASSWORD }
    const res = await app.inject({ method: 'POST', url: '/api/v1/auth/register', remoteAddress: ip, payload: credentials })
    if (res.statusCode !== 201) throw new Error(`register failed: ${res.statusCode} ${res.body}`)
    return { ...credentials, session: res.json<SessionBody>() }
  }

  t.test('the global limit counts per client IP and answers 429 rate_limited with Retry-After', async (t) => {
    const ip = nextIp()
    for (const remaining of [2, 1, 0]) {
      const res = await get(ANON, ip)
      t.equal(res.statusCode, 404)
      t.equal(res.headers['x-ratelimit-limit'], '3')
      t.equal(res.headers['x-ratelimit-remaining'], String(remaining))
      const reset = Number(res.headers['x-ratelimit-reset'])
      t.ok(reset >= 1 && reset <= 60, `x-ratelimit-reset ${reset}`)
    }
    assertLimited(t, await get(ANON, ip), 3)
    t.equal((await get(ANON, nextIp())).statusCode, 404, 'another client keeps its own budget')
  })

  t.test('unknown routes are limited too', async (t) => {
    const ip = nextIp()
    for (let i = 0; i < 3; i++) t.equal((await get('/no/such/route', ip)).statusCode, 404)
    assertLimited(t, await get('/no/such/route', ip), 3)
  })

  t.test('health, docs, metrics, /.well-known and / are not limited', async (t) => {
    const ip = nextIp()
    for (let i = 0; i < 3; i++) await get(ANON, ip)
    assertLimited(t, await get(ANON, ip), 3)
    for (const url of ['/', '/.well-known/jwks.json', '/.well-known/oauth-authorization-server', '/metrics', '/health', '/health/liveness', '/health/readiness', '/health/startup', '/docs', '/docs/json', '/docs/static/index.css']) {
      for (let i = 0; i < 4; i++) {
        const res = await get(url, ip)
        t.ok(res.statusCode < 400, `${url} answers ${res.statusCode}`)
        t.equal(res.headers['x-ratelimit-limit'], undefined, `${url} carries no limit header`)
      }
    }
  })

  t.test('without TRUST_PROXY a forged X-Forwarded-For does not change the key', async (t) => {
    const ip = nextIp()
    for (let i = 0; i < 3; i++) await get(ANON, ip, { 'x-forwarded-for': `203.0.113.${i}` })
    assertLimited(t, await get(ANON, ip, { 'x-forwarded-for': '203.0.113.200' }), 3)
  })

  t.test('an authenticated client is counted per user, not per IP', async (t) => {
    const ip = nextIp()
    const alice = await registerUser()
    const bob = await registerUser()
    const me = (token: string) => get('/api/v1/users/me', ip, bearer(token))
    for (let i = 0; i < 3; i++) t.equal((await me(alice.session.access_token)).statusCode, 200)
    assertLimited(t, await me(alice.session.access_token), 3)
    t.equal((await me(bob.session.access_token)).statusCode, 200, 'another user behind the same IP keeps a budget')
    t.equal((await get(ANON, ip)).statusCode, 404, 'the anonymous budget of the IP is untouched')
  })

  t.test('a token with a bad signature is counted against the IP, never against its sub', async (t) => {
    const ip = nextIp()
    const victim = await registerUser()
    const forged = forgedLike(victim.session.access_token)
    for (let i = 0; i < 3; i++) {
      const res = await get('/api/v1/users/me', ip, bearer(forged))
      t.equal(res.statusCode, 401)
      t.equal(res.json().code, 'invalid_token')
    }
    assertLimited(t, await get('/api/v1/users/me', ip, bearer(forged)), 3)
    assertLimited(t, await get(ANON, ip), 3)
    const res = await get('/api/v1/users/me', nextIp(), bearer(victim.session.access_token))
    t.equal(res.statusCode, 200)
    t.equal(res.headers['x-ratelimit-remaining'], '2', 'the victim has spent nothing')
  })

  t.test('login and token share a per-IP limit of their own', async (t) => {
    const ip = nextIp()
    const user = await registerUser()
    const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: ip, payload: { username: user.username, password: 'wrong password!' } })
    t.equal(login.statusCode, 401)
    t.equal(login.headers['x-ratelimit-limit'], '2')
    t.equal(login.headers['x-ratelimit-remaining'], '1')
    const token = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/token',
      remoteAddress: ip,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `grant_type=password&username=${user.username}&password=${encodeURIComponent(TEST_PASSWORD)}`
    })
    t.equal(token.statusCode, 200)
    t.equal(token.headers['x-ratelimit-remaining'], '0')
    const limited = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/token',
      remoteAddress: ip,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `grant_type=password&username=${user.username}&password=${encodeURIComponent(TEST_PASSWORD)}`
    })
    t.equal(limited.statusCode, 429)
    t.match(limited.json(), { error: 'rate_limited' }, 'the token endpoint answers in the RFC 6749 shape')
    t.ok(Number(limited.headers['retry-after']) >= 1)
    t.equal(limited.headers['x-ratelimit-remaining'], '0')
    assertLimited(t, await app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: ip, payload: { username: user.username, password: TEST_PASSWORD } }), 2)
    t.equal((await get(ANON, ip)).statusCode, 404, 'the global budget is separate')
  })

  t.test('register is limited per IP', async (t) => {
    const ip = nextIp()
    const register = (n: number) => app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      remoteAddress: ip,
      payload: { email: `limited${ip}-${n}@example.com`, username: `limited${ipCounter}_${n}`, password: TEST_PASSWORD }
    })
    t.equal((await register(1)).statusCode, 201)
    t.equal((await register(2)).statusCode, 201)
    assertLimited(t, await register(3), 2)
  })

  t.test('refresh is limited per IP', async (t) => {
    const ip = nextIp()
    const refresh = () => app.inject({ method: 'POST', url: '/api/v1/auth/refresh', remoteAddress: ip, payload: { refresh_token: 'unknown' } })
    for (let i = 0; i < 2; i++) {
      const res = await refresh()
      t.equal(res.statusCode, 401)
      t.equal(res.headers['x-ratelimit-limit'], '2')
    }
    assertLimited(t, await refresh(), 2)
  })
})

t.test('with TRUST_PROXY the client address comes from X-Forwarded-For', async (t) => {
  const app = await build(t, { RATE_LIMIT_MAX: '2', TRUST_PROXY: '127.0.0.1' })
  const fromProxy = (client: string) => app.inject({ method: 'GET', url: ANON, remoteAddress: '127.0.0.1', headers: { 'x-forwarded-for': client } })
  t.equal((await fromProxy('203.0.113.7')).statusCode, 404)
  t.equal((await fromProxy('203.0.113.7')).statusCode, 404)
  assertLimited(t, await fromProxy('203.0.113.7'), 2)
  t.equal((await fromProxy('203.0.113.8')).statusCode, 404, 'another client behind the proxy')
  const untrusted = () => app.inject({ method: 'GET', url: ANON, remoteAddress: '192.0.2.1', headers: { 'x-forwarded-for': '203.0.113.9' } })
  t.equal((await untrusted()).statusCode, 404)
  t.equal((await untrusted()).statusCode, 404)
  assertLimited(t, await untrusted(), 2)
  t.equal((await fromProxy('203.0.113.9')).statusCode, 404, 'a header from an untrusted peer was not believed')
})
