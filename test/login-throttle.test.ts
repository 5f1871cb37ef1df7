import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import type { App } from '../src/app.js'
import { createLoginThrottle, normalizeLogin, withLoginThrottle } from '../src/services/login-throttle.js'
import type { AuthService, IssuedSession } from '../src/services/auth.js'
import type { CounterStore } from '../src/stores/counter-store.js'
import { createMemoryCounterStore } from '../src/stores/memory-counter-store.js'
import { build, registerUser, TEST_PASSWORD } from './helpers/app.js'

const WRONG = 'not the password at all'

function login (app: App, username: string, password: string, remoteAddress = '127.0.0.1') {
  return app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress, payload: { username, password } })
}

function tokenGrant (app: App, username: string, password: string) {
  return app.inject({
    method: 'POST',
    url: '/api/v1/auth/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ grant_type: 'password', username, password }).toString()
  })
}

function assertThrottled (t: Test, res: LightMyRequestResponse, windowSeconds: number): void {
  t.equal(res.statusCode, 429)
  t.match(res.headers['content-type'], /^application\/problem\+json/)
  t.match(res.json(), { status: 429, code: 'rate_limited', detail: /failed logins/ })
  const retryAfter = Number(res.headers['retry-after'])
  t.ok(retryAfter >= 1 && retryAfter <= windowSeconds, `Retry-After ${retryAfter} is what is left of the window`)
}

t.test('failed-login throttling', async (t) => {
  const app = await build(t, { LOGIN_THROTTLE_MAX: '3', LOGIN_THROTTLE_WINDOW: '900' })

  t.test('after max failures even the right password answers 429 until the window ends', async (t) => {
    const user = await registerUser(app)
    for (let i = 0; i < 3; i++) {
      const res = await login(app, user.username, WRONG)
      t.equal(res.statusCode, 401)
      t.equal(res.json().code, 'invalid_credentials')
    }
    assertThrottled(t, await login(app, user.username, TEST_PASSWORD), 900)
    const grant = await tokenGrant(app, user.username, TEST_PASSWORD)
    t.equal(grant.statusCode, 429, 'the token endpoint is throttled too')
    t.match(grant.json(), { error: 'rate_limited', error_description: /failed logins/ }, 'in the RFC 6749 shape')
    t.ok(Number(grant.headers['retry-after']) >= 1, 'with Retry-After')
    t.equal((await login(app, user.email, TEST_PASSWORD)).statusCode, 200, 'the email is a login of its own')
  })

  t.test('spellings of one login share the count, whatever the client address', async (t) => {
    const user = await registerUser(app)
    const upper = user.username.toUpperCase()
    t.equal((await login(app, upper, WRONG, '192.0.2.1')).statusCode, 401)
    t.equal((await tokenGrant(app, ` ${user.username}`, WRONG)).statusCode, 400, 'the token endpoint counts too (invalid_grant)')
    t.equal((await login(app, `${user.username} `, WRONG, '192.0.2.2')).statusCode, 401)
    assertThrottled(t, await login(app, user.username, TEST_PASSWORD, '192.0.2.3'), 900)
  })

  t.test('an unknown account is throttled exactly like a real one', async (t) => {
    const answers: Array<[number, string]> = []
    for (const name of ['nobody-here', 'ghost@example.com']) {
      for (let i = 0; i < 4; i++) {
        const res = await login(app, name, WRONG)
        answers.push([res.statusCode, res.json().code])
      }
    }
    const pattern: Array<[number, string]> = [[401, 'invalid_credentials'], [401, 'invalid_credentials'], [401, 'invalid_credentials'], [429, 'rate_limited']]
    t.same(answers, [...pattern, ...pattern])
  })

  t.test('a successful login resets the count', async (t) => {
    const user = await registerUser(app)
    for (let i = 0; i < 2; i++) t.equal((await login(app, user.username, WRONG)).statusCode, 401)
    t.equal((await login(app, user.username, TEST_PASSWORD)).statusCode, 200)
    for (let i = 0; i < 3; i++) t.equal((await login(app, user.username, WRONG)).statusCode, 401, 'three more failures are allowed')
    assertThrottled(t, await login(app, user.username, WRONG), 900)
  })

  t.test('other accounts are not affected', async (t) => {
    const victim = await registerUser(app)
    const other = await registerUser(app)
    for (let i = 0; i < 4; i++) await login(app, victim.username, WRONG)
    t.equal((await login(app, other.username, TEST_PASSWORD)).statusCode, 200)
  })
})

t.test('the throttle lifts when the window ends', async (t) => {
  const app = await build(t, { LOGIN_THROTTLE_MAX: '1', LOGIN_THROTTLE_WINDOW: '1' })
  const user = await registerUser(app)
  t.equal((await login(app, user.username, WRONG)).statusCode, 401)
  assertThrottled(t, await login(app, user.username, TEST_PASSWORD), 1)
  await sleep(1100)
  t.equal((await login(app, user.username, TEST_PASSWORD)).statusCode, 200)
})

t.test('normalizeLogin folds case, surrounding space and compatibility forms', async (t) => {
  t.equal(normalizeLogin('  Alice@Example.COM '), 'alice@example.com')
  t.equal(normalizeLogin('ＡＬＩＣＥ'), 'alice', 'full-width letters fold (NFKC)')
})

t.test('an unreachable counter store lets logins through and reports the error', async (t) => {
  const failure = new Error('store down')
  const broken: CounterStore = {
    kind: 'redis',
    hit: async () => { throw failure },
    reset: async () => { throw failure }
  }
  const reported: unknown[] = []
  const issued = { accessToken: 'a' } as IssuedSession
  const auth = { login: async () => issued } as unknown as AuthService
  const throttled = withLoginThrottle(auth, createLoginThrottle(broken, { max: 1, windowSeconds: 60 }, (err) => reported.push(err)))
  const origin = { userAgent: null, ip: '127.0.0.1' }
  t.equal(await throttled.login('alice', 'pw', origin), issued)
  t.same(reported, [failure, failure], 'both the count and the reset failed, and both were reported')
})

t.test('a failed login keeps counting: the wrapped service error passes through untouched', async (t) => {
  const counters = createMemoryCounterStore()
  const failure = new Error('invalid')
  const auth = { login: async () => { throw failure } } as unknown as AuthService
  const throttled = withLoginThrottle(auth, createLoginThrottle(counters, { max: 2, windowSeconds: 60 }, () => {}))
  const origin = { userAgent: null, ip: '127.0.0.1' }
  await t.rejects(throttled.login('bob', 'pw', origin), failure)
  await t.rejects(throttled.login('BOB', 'pw', origin), failure)
  await t.rejects(throttled.login('bob', 'pw', origin), { status: 429, code: 'rate_limited' })
})
