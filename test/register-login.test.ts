import t from 'tap'
import { performance } from 'node:perf_hooks'
import { Algorithm, hash } from '@node-rs/argon2'
import type { App } from '../src/app.js'
import { createPasswordHasher } from '../src/services/password-hasher.js'
import { bearer, build, registerUser, TEST_PASSWORD, type SessionBody } from './helpers/app.js'

const register = (app: App, payload: object, headers: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url: '/api/v1/auth/register', payload, headers })
const login = (app: App, payload: object) => app.inject({ method: 'POST', url: '/api/v1/auth/login', payload })

async function storedHash (app: App, userId: string): Promise<string> {
  const row = await app.db.selectFrom('users').select('password_hash').where('id', '=', userId).executeTakeFirstOrThrow()
  return row.password_hash
}

t.test('registration and login', async (t) => {
  const app = await build(t)

  t.test('register answers 201 with a Session and a User without secrets', async (t) => {
    const res = await register(app, { email: 'Ada.Lovelace@Example.COM', username: 'Ada_L', password: TEST_PASSWORD })
    t.equal(res.statusCode, 201)
    t.equal(res.headers['cache-control'], 'no-store')
    const body = res.json<SessionBody>()
    t.strictSame(Object.keys(body).sort(), ['access_token', 'expires_in', 'refresh_expires_in', 'refresh_token', 'token_type', 'user'])
    t.strictSame(Object.keys(body.user).sort(), ['created_at', 'email', 'email_verified', 'id', 'is_active', 'pending_email', 'roles', 'updated_at', 'username'])
    t.match(body.user, { email: 'ada.lovelace@example.com', username: 'Ada_L', roles: ['user'], is_active: true, email_verified: false, pending_email: null })
    t.match(body.user.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/)
    t.notMatch(res.body, /argon2|password/i, 'no hash, no password anywhere in the answer')

    const me = await app.inject({ url: '/api/v1/users/me', headers: bearer(body.access_token) })
    t.equal(me.statusCode, 200)
    t.strictSame(me.json(), body.user)

    const stored = await storedHash(app, body.user.id)
    t.match(stored, /^\$argon2id\$v=19\$/, 'argon2id')
    t.notOk(stored.includes(TEST_PASSWORD))
  })

  t.test('email and username are unique case-insensitively', async (t) => {
    const first = await registerUser(app, { email: 'unique@example.com', username: 'Unique_One' })
    const email = await register(app, { email: 'UNIQUE@example.com', username: 'someone_else', password: TEST_PASSWORD })
    t.equal(email.statusCode, 409)
    t.match(email.json(), { status: 409, code: 'email_taken' })
    const username = await register(app, { email: 'other@example.com', username: 'unique_ONE', password: TEST_PASSWORD })
    t.equal(username.statusCode, 409)
    t.match(username.json(), { status: 409, code: 'username_taken' })
    const count = await app.db.selectFrom('users').select((eb) => eb.fn.countAll<string>().as('n'))
      .where('username', 'ilike', 'unique_one').executeTakeFirstOrThrow()
    t.equal(Number(count.n), 1)
    t.ok(first.session.user.id)
  })

  t.test('bad emails and usernames are validation failures', async (t) => {
    const cases: Array<[object, string]> = [
      [{ email: 'not-an-email', username: 'valid_name', password: TEST_PASSWORD }, '/email'],
      [{ email: 'ok@example.com', username: 'ab', password: TEST_PASSWORD }, '/username'],
      [{ email: 'ok@example.com', username: 'has space', password: TEST_PASSWORD }, '/username'],
      [{ email: 'ok@example.com', username: 'x'.repeat(33), password: TEST_PASSWORD }, '/username'],
      [{ email: 'ok@example.com', username: 'valid_name' }, '/password'],
      [{ email: 'ok@example.com', username: 'valid_name', password: TEST_PASSWORD, role: 'admin' }, '/role']
    ]
    for (const [payload, path] of cases) {
      const res = await register(app, payload)
      t.equal(res.statusCode, 400, path)
      t.match(res.json(), { code: 'validation_failed', errors: [{ path }] }, path)
    }
  })

  t.test('password length rules: 8 to 128 characters after NFKC, counted as characters', async (t) => {
    const attempt = (password: string) => register(app, { email: `p${Math.random().toString(36).slice(2)}@example.com`, username: `p_${Math.random().toString(36).slice(2, 12)}`, password })
    const weak: Array<[string, string]> = [
      ['7 characters', 'abcdefg'],
      ['129 characters', 'a'.repeat(129)],
      ['7 emoji (14 UTF-16 units)', '🔑'.repeat(7)],
      ['blank', ' '.repeat(3)]
    ]
    for (const [name, password] of weak) {
      const res = await attempt(password)
      t.equal(res.statusCode, 400, name)
      t.match(res.json(), { code: 'weak_password', errors: [{ path: '/password' }] }, name)
    }
    for (const [name, password] of [
      ['8 characters', 'abcdefgh'],
      ['128 characters', 'b'.repeat(128)],
      ['128 emoji (256 UTF-16 units)', '🔐'.repeat(128)],
      ['4 ligatures that NFKC expands to 8 letters', 'ﬁﬂﬁﬂ']
    ] as const) {
      t.equal((await attempt(password)).statusCode, 201, name)
    }
    const huge = await attempt('c'.repeat(1_000))
    t.equal(huge.statusCode, 400, 'an absurd password is refused by the schema before any hashing')
    t.match(huge.json(), { code: 'validation_failed' })
  })

  t.test('the password must not be the email or the username', async (t) => {
    const asUsername = await register(app, { email: 'same1@example.com', username: 'Same_As_Pass', password: 'same_as_pass' })
    t.equal(asUsername.statusCode, 400)
    t.equal(asUsername.json().code, 'weak_password')
    const asEmail = await register(app, { email: 'same2@example.com', username: 'same_two', password: 'SAME2@example.com' })
    t.equal(asEmail.statusCode, 400)
    t.equal(asEmail.json().code, 'weak_password')
  })

  t.test('passwords are NFKC-normalized before hashing and comparing', async (t) => {
    const fullwidth = 'Ｚｅｂｒａ－Ｑｕｉｌｌ－４２'
    const normalized = 'Zebra-Quill-42'
    t.equal(fullwidth.normalize('NFKC'), normalized)
    const { username } = await registerUser(app, { password: fullwidth })
    t.equal((await login(app, { username, password: normalized })).statusCode, 200, 'the normalized form logs in')
    t.equal((await login(app, { username, password: fullwidth })).statusCode, 200, 'the compatibility form logs in')
    const other = await registerUser(app, { password: normalized })
    t.equal((await login(app, { username: other.username, password: fullwidth })).statusCode, 200, 'and the other way round')
    t.equal((await login(app, { username, password: 'zebra-quill-42' })).statusCode, 401, 'but case still matters')
  })

  t.test('login by username or email, case-insensitively', async (t) => {
    const { username, email, session } = await registerUser(app, { email: 'Login.Case@Example.com', username: 'Login_Case' })
    for (const payload of [
      { username, password: TEST_PASSWORD },
      { username: username.toUpperCase(), password: TEST_PASSWORD },
      { username: email, password: TEST_PASSWORD },
      { username: email.toUpperCase(), password: TEST_PASSWORD },
      { email: 'LOGIN.CASE@example.com', password: TEST_PASSWORD }
    ]) {
      const res = await login(app, payload)
      t.equal(res.statusCode, 200, JSON.stringify(payload))
      t.equal(res.json().user.id, session.user.id)
      t.equal(res.headers['cache-control'], 'no-store')
    }
    const neither = await login(app, { password: TEST_PASSWORD })
    t.equal(neither.statusCode, 400)
    t.match(neither.json(), { code: 'validation_failed', errors: [{ path: '/username' }] })
  })

  t.test('unknown user, wrong password and deactivated user get the identical 401', async (t) => {
    const { username, session } = await registerUser(app)
    const disabled = await registerUser(app)
    await app.db.updateTable('users').set({ is_active: false }).where('id', '=', disabled.session.user.id).execute()
    await app.users.changed(disabled.session.user.id)

    const unknown = await login(app, { username: 'no_such_user', password: TEST_PASSWORD })
    const wrong = await login(app, { username, password: 'not the right password' })
    const inactive = await login(app, { username: disabled.username, password: TEST_PASSWORD })
    for (const res of [unknown, wrong, inactive]) {
      t.equal(res.statusCode, 401)
      t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
      t.equal(res.body, unknown.body, 'byte-for-byte the same body')
    }
    t.match(unknown.json(), { status: 401, code: 'invalid_credentials', title: String, detail: String, type: String })
    t.notOk(unknown.headers['www-authenticate'], 'no token was presented, so no Bearer challenge')
    t.equal((await app.inject({ url: '/api/v1/users/me', headers: bearer(session.access_token) })).statusCode, 200)
  })
})

t.test('argon2id with the OWASP parameters, upgraded on login, and login timing', async (t) => {
  const app = await build(t, { ARGON2_MEMORY_KIB: '19456', ARGON2_TIME_COST: '2', ARGON2_PARALLELISM: '1', PASSWORD_MIN_LENGTH: '10' })
  const { username, session } = await registerUser(app)

  t.test('hashes carry m=19456,t=2,p=1', async (t) => {
    t.match(await storedHash(app, session.user.id), /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
  })

  t.test('PASSWORD_MIN_LENGTH raises the minimum', async (t) => {
    const res = await register(app, { email: 'short@example.com', username: 'short_pw', password: 'ninechars' })
    t.equal(res.statusCode, 400)
    t.match(res.json(), { code: 'weak_password', detail: /10/ })
  })

  t.test('a hash with outdated parameters is upgraded on the next successful login', async (t) => {
    const old = await hash(TEST_PASSWORD, { algorithm: Algorithm.Argon2id, memoryCost: 1024, timeCost: 1, parallelism: 1 })
    await app.db.updateTable('users').set({ password_hash: old }).where('id', '=', session.user.id).execute()
    t.equal((await login(app, { username, password: 'wrong password here' })).statusCode, 401)
    t.equal(await storedHash(app, session.user.id), old, 'a failed login changes nothing')
    t.equal((await login(app, { username, password: TEST_PASSWORD })).statusCode, 200)
    const upgraded = await storedHash(app, session.user.id)
    t.match(upgraded, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
    t.equal((await login(app, { username, password: TEST_PASSWORD })).statusCode, 200, 'the upgraded hash verifies')
  })

  t.test('an unknown account takes as long as a wrong password', async (t) => {
    const timed = async (payload: object): Promise<number> => {
      const start = performance.now()
      const res = await login(app, payload)
      if (res.statusCode !== 401) throw new Error(`expected 401, got ${res.statusCode}`)
      return performance.now() - start
    }
    const unknown = { username: 'nobody_at_all', password: TEST_PASSWORD }
    const wrong = { username, password: 'not the right password' }
    await timed(unknown)
    await timed(wrong)
    const unknownTimes: number[] = []
    const wrongTimes: number[] = []
    // Interleaved, so load from elsewhere on the machine hits both series alike.
    for (let i = 0; i < 5; i++) {
      unknownTimes.push(await timed(unknown))
      wrongTimes.push(await timed(wrong))
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
    const ratio = mean(unknownTimes) / mean(wrongTimes)
    t.ok(ratio > 0.5 && ratio < 2, `unknown ${mean(unknownTimes).toFixed(1)} ms vs wrong password ${mean(wrongTimes).toFixed(1)} ms (ratio ${ratio.toFixed(2)})`)
  })
})

t.test('the password hasher never throws on a stored hash it cannot read', async (t) => {
  const hasher = createPasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 }, 1)
  const good = await hasher.hash(TEST_PASSWORD)
  t.equal(await hasher.verify(good, TEST_PASSWORD), true)
  t.equal(await hasher.verify('not a hash', TEST_PASSWORD), false, 'a corrupt row is a failed login, not a 500')
  t.equal(hasher.needsRehash(good), false)
  t.equal(hasher.needsRehash('not a hash'), true)
  const argon2i = await hash(TEST_PASSWORD, { algorithm: Algorithm.Argon2i, memoryCost: 1024, timeCost: 1, parallelism: 1 })
  t.equal(hasher.needsRehash(argon2i), true, 'another argon2 variant is upgraded to argon2id')
  t.equal(await hasher.verify(argon2i, TEST_PASSWORD), true, 'and still verifies until then')
})
