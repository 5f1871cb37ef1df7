import t, { type Test } from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import type { App } from '../src/app.js'
import { createLoginThrottle, normalizeLogin } from '../src/services/login-throttle.js'
import type { CounterStore } from '../src/stores/counter-store.js'
import { bearer, build, registerUser, TEST_PASSWORD, testClock } from './helpers/app.js'

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
  // The token endpoint answers in the RFC 6749 shape, every other route with a problem.
  if ('error' in res.json<Record<string, unknown>>()) {
    t.match(res.headers['content-type'], /^application\/json/)
    t.match(res.json(), { error: 'rate_limited', error_description: /failed logins/ })
  } else {
    t.match(res.headers['content-type'], /^application\/problem\+json/)
    t.match(res.json(), { status: 429, code: 'rate_limited', detail: /failed logins/ })
  }
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
    assertThrottled(t, await tokenGrant(app, user.username, TEST_PASSWORD), 900)
    assertThrottled(t, await login(app, user.email, TEST_PASSWORD), 900)
  })

  t.test('the username and the email of one account share one budget', async (t) => {
    const user = await registerUser(app)
    t.equal((await login(app, user.username, WRONG)).statusCode, 401)
    t.equal((await login(app, user.email, WRONG)).statusCode, 401)
    t.equal((await login(app, user.email.toUpperCase(), WRONG)).statusCode, 401)
    assertThrottled(t, await login(app, user.username, TEST_PASSWORD), 900)
    assertThrottled(t, await login(app, user.email, TEST_PASSWORD), 900)
  })

  t.test('only failures count: concurrent logins with the right password are never throttled', async (t) => {
    const user = await registerUser(app)
    const answers = await Promise.all(Array.from({ length: 8 }, () => login(app, user.username, TEST_PASSWORD)))
    t.strictSame(answers.map((res) => res.statusCode), Array(8).fill(200))
  })

  t.test('an attempt refused by the throttle counts nothing', async (t) => {
    const user = await registerUser(app)
    for (let i = 0; i < 3; i++) await login(app, user.username, WRONG)
    for (let i = 0; i < 5; i++) t.equal((await login(app, user.username, WRONG)).statusCode, 429)
    const keys = createLoginThrottle(app.counters, { max: 3, windowSeconds: 900 }, () => {})
    t.equal((await app.counters.peek(keys.loginKey(user.username))).count, 3, 'the login as typed: the three failures')
    t.equal((await app.counters.peek(keys.accountKey(user.session.user.id))).count, 3, 'the account: the same three')
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
  // In-process counters, so that the window ends when the test's clock says so (Redis expiry is in counter-store.test.ts).
  const clock = testClock()
  const app = await build(t, { LOGIN_THROTTLE_MAX: '1', LOGIN_THROTTLE_WINDOW: '1', REDIS_URL: '' }, { clock })
  const user = await registerUser(app)
  t.equal((await login(app, user.username, WRONG)).statusCode, 401)
  assertThrottled(t, await login(app, user.username, TEST_PASSWORD), 1)
  clock.advance(1.1)
  t.equal((await login(app, user.username, TEST_PASSWORD)).statusCode, 200)
})

t.test('normalizeLogin folds case, surrounding space and compatibility forms', async (t) => {
  t.equal(normalizeLogin('  Alice@Example.COM '), 'alice@example.com')
  t.equal(normalizeLogin('ＡＬＩＣＥ'), 'alice', 'full-width letters fold (NFKC)')
})

t.test('an unreachable counter store lets attempts through and reports the error', async (t) => {
  const failure = new Error('store down')
  const broken: CounterStore = {
    kind: 'redis',
    hit: async () => { throw failure },
    peek: async () => { throw failure },
    reset: async () => { throw failure }
  }
  const reported: unknown[] = []
  const throttle = createLoginThrottle(broken, { max: 1, windowSeconds: 60 }, (err) => reported.push(err))
  const keys = [throttle.loginKey('alice')]
  await throttle.check(keys)
  await throttle.failed(keys)
  await throttle.succeeded(keys)
  t.same(reported, [failure, failure, failure], 'the check, the count and the reset failed, and each was reported')
})

t.test('password re-checks count as failed logins of the account', async (t) => {
  const app = await build(t, { LOGIN_THROTTLE_MAX: '5', LOGIN_THROTTLE_WINDOW: '900' })
  const user = await registerUser(app)
  const auth = bearer(user.session.access_token)
  const wrong = [
    () => app.inject({ method: 'POST', url: '/api/v1/auth/change-password', headers: auth, payload: { current_password: WRONG, new_password: 'a brand new passphrase' } }),
    () => app.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: auth, payload: { email: 'elsewhere@example.com', current_password: WRONG } }),
    () => app.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: auth, payload: { password: WRONG } })
  ]
  for (let i = 0; i < 5; i++) {
    const res = await wrong[i % wrong.length]!()
    t.equal(res.statusCode, 400, `wrong password ${i + 1}`)
    t.equal(res.json().code, 'invalid_current_password')
  }
  for (const attempt of wrong) assertThrottled(t, await attempt(), 900)
  const right = await app.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: auth, payload: { password: TEST_PASSWORD } })
  assertThrottled(t, right, 900)
  assertThrottled(t, await login(app, user.username, TEST_PASSWORD), 900)
  t.equal((await app.inject({ url: '/api/v1/users/me', headers: auth })).statusCode, 200, 'the account was not deleted')
})

t.test('a full hash queue answers 503 with Retry-After, and those answers count nothing', async (t) => {
  // One hash at a time and one waiting: a burst of twelve leaves most with no room.
  const app = await build(t, { LOGIN_THROTTLE_MAX: '5', HASH_CONCURRENCY: '1', HASH_QUEUE_MAX: '1', ARGON2_MEMORY_KIB: '19456', ARGON2_TIME_COST: '2' })
  const user = await registerUser(app)
  const burst = await Promise.all(Array.from({ length: 12 }, () => login(app, user.username, WRONG)))
  const unavailable = burst.filter((res) => res.statusCode === 503)
  t.ok(unavailable.length >= 8, `${unavailable.length} of 12 found the queue full`)
  t.ok(burst.every((res) => res.statusCode === 503 || res.statusCode === 401), 'the others were checked')
  t.match(unavailable[0]?.json(), { code: 'unavailable' })
  t.ok(Number(unavailable[0]?.headers['retry-after']) >= 1, 'with Retry-After')
  t.equal((await login(app, user.username, TEST_PASSWORD)).statusCode, 200, 'the 503s did not count against the account')
})
