import t, { type Test } from 'tap'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { bearer, build, realDatabaseUrl, realRedisUrl, registerUser, testEnv } from './helpers/app.js'
import { createAdmin } from './helpers/admin.js'
import { addPasskey, loginOptions, passkeyLogin, testAuthenticator, type TestAuthenticator } from './helpers/passkeys.js'

type App = Awaited<ReturnType<typeof build>>

async function withPasskey (app: App, options: Parameters<typeof testAuthenticator>[0] = {}) {
  const user = await registerUser(app)
  const authenticator = testAuthenticator(options)
  const { res, credential } = await addPasskey(app, user.session.access_token, authenticator)
  if (res.statusCode !== 201) throw new Error(`adding a passkey failed: ${res.body}`)
  return { user, authenticator, credential, passkeyId: res.json<{ id: string }>().id }
}

async function events (app: App, type: string) {
  await app.background.idle()
  return await app.db.selectFrom('auth_events').select(['user_id', 'details']).where('type', '=', type).orderBy('created_at').execute()
}

const claimsOf = (accessToken: string): { amr?: string[] } =>
  JSON.parse(Buffer.from(accessToken.split('.')[1] ?? '', 'base64url').toString('utf8'))

const expectRefused = (t: Test, res: { statusCode: number, json: () => { code: string } }, label: string) => {
  t.equal(res.statusCode, 401, label)
  t.equal(res.json().code, 'invalid_passkey', label)
}

t.test('a passkey signs in without a password', async (t) => {
  const app = await build(t)
  const { user, authenticator, passkeyId } = await withPasskey(app)

  const res = await passkeyLogin(app, authenticator)
  t.equal(res.statusCode, 200)
  t.equal(res.headers['cache-control'], 'no-store')
  const session = res.json()
  t.match(session, { token_type: 'bearer', user: { id: user.session.user.id, username: user.username } })
  const me = await app.inject({ url: '/api/v1/users/me', headers: bearer(session.access_token) })
  t.equal(me.statusCode, 200)
  t.equal(me.json().id, user.session.user.id)
  const refreshed = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: session.refresh_token } })
  t.equal(refreshed.statusCode, 200, 'its refresh token rotates like any other')

  const [listed] = (await app.inject({ url: '/api/v1/users/me/passkeys', headers: bearer(session.access_token) })).json()
  t.equal(listed.id, passkeyId)
  t.ok(Date.parse(listed.last_used_at) >= Date.parse(listed.created_at), 'last_used_at is kept')
  const row = await app.db.selectFrom('passkeys').select('counter').where('id', '=', passkeyId).executeTakeFirstOrThrow()
  t.equal(Number(row.counter), 1, 'the counter is stored')

  t.same(claimsOf(session.access_token).amr, ['hwk', 'mfa'], 'a user-verifying passkey is two factors')
  const succeeded = await events(app, 'login_succeeded')
  t.match(succeeded.at(-1), { user_id: user.session.user.id, details: { amr: ['hwk', 'mfa'] } })
  const refreshedAmr = claimsOf(refreshed.json().access_token).amr
  t.same(refreshedAmr, ['hwk', 'mfa'], 'refresh keeps the amr')

  const unverified = await passkeyLogin(app, authenticator, { userVerified: false })
  t.equal(unverified.statusCode, 200, 'user verification is preferred, not required')
  t.same(claimsOf(unverified.json().access_token).amr, ['hwk'], 'without user verification it is one factor')

  const cookieOnly = await passkeyLogin(app, authenticator, {}, { 'x-auth-transport': 'cookie' })
  t.equal(cookieOnly.statusCode, 200)
  t.notOk('refresh_token' in cookieOnly.json(), 'X-Auth-Transport is honoured')
  t.match(cookieOnly.headers['set-cookie'], /refresh_token=/)
})

t.test('with MFA on, only a user-verifying passkey is a whole sign-in', async (t) => {
  const app = await build(t)
  const { user, authenticator } = await withPasskey(app)
  // A confirmed TOTP factor, as enrollment leaves it: MFA is on for the account.
  await app.db.insertInto('mfa_totp').values({ user_id: user.session.user.id, secret_sealed: 'sealed', confirmed_at: new Date() }).execute()

  const verified = await passkeyLogin(app, authenticator)
  t.equal(verified.statusCode, 200)
  t.same(claimsOf(verified.json().access_token).amr, ['hwk', 'mfa'])

  const unverified = await passkeyLogin(app, authenticator, { userVerified: false })
  t.equal(unverified.statusCode, 401)
  t.match(unverified.json(), { code: 'mfa_required', mfa_token: /.+/, methods: ['totp'] })
})

t.test('the options name no account', async (t) => {
  const app = await build(t)
  await withPasskey(app)
  const { challenge_id: challengeId, options } = await loginOptions(app)
  t.match(challengeId, /^[A-Za-z0-9_-]{43}$/)
  t.match(options, { rpId: 'localhost', userVerification: 'preferred', timeout: 300_000 })
  t.same((options as { allowCredentials?: unknown[] }).allowCredentials ?? [], [], 'no credential is listed')
  const second = await loginOptions(app)
  t.not(second.options.challenge, options.challenge)
  t.not(second.challenge_id, challengeId)
})

t.test('every assertion that does not verify is 401 invalid_passkey', async (t) => {
  const app = await build(t)
  const { authenticator, credential } = await withPasskey(app)
  const finish = (challengeId: string, response: unknown) =>
    app.inject({ method: 'POST', url: '/api/v1/auth/passkey/login', payload: { challenge_id: challengeId, response } })

  const stranger = testAuthenticator()
  stranger.create({ challenge: 'never-sent', rp: { id: 'localhost' }, user: { id: 'AAAA' }, pubKeyCredParams: [{ alg: -7 }] })
  expectRefused(t, await passkeyLogin(app, stranger), 'a credential never registered')
  expectRefused(t, await passkeyLogin(app, authenticator, { origin: 'https://evil.example' }), 'another origin')
  expectRefused(t, await passkeyLogin(app, authenticator, { rpId: 'evil.example' }), 'another RP ID')
  expectRefused(t, await passkeyLogin(app, authenticator, { type: 'webauthn.create' }), 'a registration type')
  expectRefused(t, await passkeyLogin(app, authenticator, { userPresent: false }), 'no user presence')

  const first = await loginOptions(app)
  const tampered = authenticator.get(first.options)
  const signature = Buffer.from(tampered.response.signature, 'base64url')
  signature.writeUInt8(signature.readUInt8(signature.length - 1) ^ 1, signature.length - 1)
  expectRefused(t, await finish(first.challenge_id, { ...tampered, response: { ...tampered.response, signature: signature.toString('base64url') } }), 'a bad signature')
  expectRefused(t, await finish(first.challenge_id, authenticator.get(first.options)), 'the challenge was spent by the failed attempt')

  const a = await loginOptions(app)
  const b = await loginOptions(app)
  expectRefused(t, await finish(b.challenge_id, authenticator.get(a.options)), 'signed for another challenge')
  t.equal((await finish(a.challenge_id, authenticator.get(a.options))).statusCode, 200, 'the right pair still works')

  const unknownChallenge = Buffer.alloc(32, 1).toString('base64url')
  expectRefused(t, await finish(unknownChallenge, authenticator.get(a.options)), 'an unknown challenge id')

  const other = await registerUser(app)
  const c = await loginOptions(app)
  const otherHandle = Buffer.from(other.session.user.id.replaceAll('-', ''), 'hex').toString('base64url')
  const foreignHandle = authenticator.get(c.options, { credential: { ...credential, userHandle: otherHandle } })
  expectRefused(t, await finish(c.challenge_id, foreignHandle), 'a user handle of another account')

  const failures = await events(app, 'login_failed')
  t.ok(failures.length >= 9, 'failures are audited')
  t.ok(failures.every((f) => (f.details as { reason: string }).reason === 'invalid_passkey'))
})

t.test('a challenge is single use even under a race', async (t) => {
  const app = await build(t)
  const { authenticator } = await withPasskey(app)
  const { challenge_id: challengeId, options } = await loginOptions(app)
  const response = authenticator.get(options)
  const results = await Promise.all([1, 2, 3].map(() =>
    app.inject({ method: 'POST', url: '/api/v1/auth/passkey/login', payload: { challenge_id: challengeId, response } })))
  t.same(results.map((r) => r.statusCode).sort(), [200, 401, 401])
})

t.test('a signature counter going back is refused and audited', async (t) => {
  const app = await build(t)
  const { user, authenticator, passkeyId } = await withPasskey(app)
  t.equal((await passkeyLogin(app, authenticator, { counter: 5 })).statusCode, 200)
  for (const counter of [5, 3, 0]) {
    expectRefused(t, await passkeyLogin(app, authenticator, { counter }), `counter ${counter} after 5`)
  }
  const regressions = await events(app, 'passkey_counter_regressed')
  t.equal(regressions.length, 3)
  t.same(regressions[1], { user_id: user.session.user.id, details: { passkey_id: passkeyId, stored_counter: 5, presented_counter: 3 } })
  t.equal((await passkeyLogin(app, authenticator, { counter: 6 })).statusCode, 200, 'the genuine authenticator goes on')
})

t.test('an authenticator without a counter (0 every time) signs in again and again', async (t) => {
  const app = await build(t)
  const { authenticator } = await withPasskey(app, { counts: false, backedUp: true })
  for (let i = 0; i < 3; i++) t.equal((await passkeyLogin(app, authenticator)).statusCode, 200)
  const [row] = await app.db.selectFrom('passkeys').select(['counter', 'backed_up']).execute()
  t.match(row, { counter: '0', backed_up: true })
})

t.test('a deactivated or deleted account, or a removed passkey, signs in no more', async (t) => {
  const app = await build(t)
  const admin = await createAdmin(app)
  const deactivated = await withPasskey(app)
  const patch = await app.inject({ method: 'PATCH', url: `/api/v1/users/${deactivated.user.session.user.id}`, headers: bearer(admin.session.access_token), payload: { is_active: false } })
  t.equal(patch.statusCode, 200)
  expectRefused(t, await passkeyLogin(app, deactivated.authenticator), 'deactivated')

  const deleted = await withPasskey(app)
  const del = await app.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: bearer(deleted.user.session.access_token), payload: { password: deleted.user.password } })
  t.equal(del.statusCode, 204)
  expectRefused(t, await passkeyLogin(app, deleted.authenticator), 'deleted')

  const removed = await withPasskey(app)
  const gone = await app.inject({ method: 'DELETE', url: `/api/v1/users/me/passkeys/${removed.passkeyId}`, headers: bearer(removed.user.session.access_token) })
  t.equal(gone.statusCode, 204)
  expectRefused(t, await passkeyLogin(app, removed.authenticator), 'removed passkey')
})

t.test('any instance finishes a ceremony another one started', { skip: realDatabaseUrl === undefined || realRedisUrl === undefined ? 'needs TEST_DATABASE_URL and TEST_REDIS_URL: in-process stores are per instance' : false }, async (t) => {
  const env = await testEnv(t)
  const one = await buildApp({ config: loadConfig(env) })
  t.teardown(() => one.close())
  const two = await buildApp({ config: loadConfig(env) })
  t.teardown(() => two.close())
  await Promise.all([one.ready(), two.ready()])

  const user = await registerUser(one)
  const authenticator: TestAuthenticator = testAuthenticator()
  const options = (await one.inject({ method: 'POST', url: '/api/v1/users/me/passkeys/options', headers: bearer(user.session.access_token) })).json()
  const added = await two.inject({ method: 'POST', url: '/api/v1/users/me/passkeys', headers: bearer(user.session.access_token), payload: { response: authenticator.create(options).json } })
  t.equal(added.statusCode, 201, 'registration started on one, finished on two')

  const login = await loginOptions(two)
  const res = await one.inject({ method: 'POST', url: '/api/v1/auth/passkey/login', payload: { challenge_id: login.challenge_id, response: authenticator.get(login.options) } })
  t.equal(res.statusCode, 200, 'sign-in started on two, finished on one')
})
