import t from 'tap'
import { URI } from 'otpauth'
import type { App } from '../src/app.js'
import { bearer, build, registerUser, TEST_PASSWORD } from './helpers/app.js'
import { enableTotp, testClock, totpCode } from './helpers/mfa.js'

const post = (app: App, url: string, token: string, payload: object) =>
  app.inject({ method: 'POST', url: `/api/v1/users/me/mfa${url}`, headers: bearer(token), payload })
const status = async (app: App, token: string) =>
  (await app.inject({ url: '/api/v1/users/me/mfa', headers: bearer(token) })).json<{ totp: boolean, passkeys: number, recovery_codes_left: number }>()

t.test('TOTP enrollment: password, secret shown once, confirmation with a code, recovery codes', async (t) => {
  const clock = testClock()
  const app = await build(t, {}, { clock })
  const user = await registerUser(app)
  const token = user.session.access_token

  t.strictSame(await status(app, token), { totp: false, passkeys: 0, recovery_codes_left: 0 }, 'MFA is off at first')

  const wrong = await post(app, '/totp', token, { password: 'not the password' })
  t.equal(wrong.statusCode, 400)
  t.match(wrong.json(), { code: 'invalid_current_password', errors: [{ path: '/password' }] }, 'enrollment needs the password')

  const start = await post(app, '/totp', token, { password: TEST_PASSWORD })
  t.equal(start.statusCode, 200)
  t.equal(start.headers['cache-control'], 'no-store', 'the secret is never cached')
  const { secret, otpauth_uri: uri } = start.json<{ secret: string, otpauth_uri: string }>()
  t.match(secret, /^[A-Z2-7]{32}$/, 'base32, 160 bits')
  const parsed = URI.parse(uri)
  t.match(parsed, { issuer: 'Auth Service', label: user.email, algorithm: 'SHA1', digits: 6 })
  t.equal((parsed as { period?: number }).period, 30)
  t.equal(parsed.secret.base32, secret)
  t.match(uri, /^otpauth:\/\/totp\//)

  const row = await app.db.selectFrom('mfa_totp').selectAll().where('user_id', '=', user.session.user.id).executeTakeFirstOrThrow()
  t.notOk(row.secret_sealed.includes(secret), 'the secret is sealed at rest')
  t.equal(row.confirmed_at, null, 'pending')
  t.strictSame(await status(app, token), { totp: false, passkeys: 0, recovery_codes_left: 0 }, 'a pending enrollment is not MFA')
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: user.username, password: TEST_PASSWORD } })).statusCode,
    200, 'a pending enrollment does not change the login')

  const bad = await post(app, '/totp/confirm', token, { code: totpCode(secret, clock.now()) === '000000' ? '111111' : '000000' })
  t.equal(bad.statusCode, 401)
  t.match(bad.json(), { code: 'invalid_mfa_code' })
  t.equal((await post(app, '/totp/confirm', token, { code: 'not digits' })).statusCode, 401, 'anything else is just a wrong code')

  const confirm = await post(app, '/totp/confirm', token, { code: totpCode(secret, clock.now()) })
  t.equal(confirm.statusCode, 200)
  t.equal(confirm.headers['cache-control'], 'no-store')
  const codes = confirm.json<{ recovery_codes: string[] }>().recovery_codes
  t.equal(codes.length, 10)
  t.equal(new Set(codes).size, 10, 'all different')
  for (const code of codes) t.match(code, /^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$/)
  const stored = JSON.stringify(await app.db.selectFrom('mfa_recovery_codes').selectAll().execute())
  for (const code of codes) t.notOk(stored.toUpperCase().includes(code.replaceAll('-', '').toUpperCase()), 'stored only as a hash')

  t.strictSame(await status(app, token), { totp: true, passkeys: 0, recovery_codes_left: 10 })
  const me = await app.inject({ url: '/api/v1/users/me', headers: bearer(token) })
  t.equal(me.json<{ mfa_enabled: boolean }>().mfa_enabled, true, 'GET /users/me shows it')

  const again = await post(app, '/totp', token, { password: TEST_PASSWORD })
  t.equal(again.statusCode, 409, 'no second enrollment over an active factor')
  t.equal((await post(app, '/totp/confirm', token, { code: totpCode(secret, clock.now()) })).statusCode, 409, 'nothing pending to confirm')
})

t.test('a pending enrollment lasts 10 minutes; starting again replaces it', async (t) => {
  const clock = testClock()
  const app = await build(t, {}, { clock })
  const user = await registerUser(app)
  const token = user.session.access_token

  t.equal((await post(app, '/totp/confirm', token, { code: '123456' })).statusCode, 404, 'nothing to confirm before a start')

  const first = (await post(app, '/totp', token, { password: TEST_PASSWORD })).json<{ secret: string }>().secret
  const second = (await post(app, '/totp', token, { password: TEST_PASSWORD })).json<{ secret: string }>().secret
  t.not(first, second, 'a new secret each time')
  t.equal((await post(app, '/totp/confirm', token, { code: totpCode(first, clock.now()) })).statusCode, 401, 'the replaced secret is void')

  clock.advance(601)
  const late = await post(app, '/totp/confirm', token, { code: totpCode(second, clock.now()) })
  t.equal(late.statusCode, 404, 'over 10 minutes old')
  t.match(late.json(), { code: 'not_found' })

  const fresh = (await post(app, '/totp', token, { password: TEST_PASSWORD })).json<{ secret: string }>().secret
  clock.advance(590)
  t.equal((await post(app, '/totp/confirm', token, { code: totpCode(fresh, clock.now()) })).statusCode, 200, 'within 10 minutes')
})

t.test('recovery codes: regenerated with password and code, the old ones void', async (t) => {
  const clock = testClock()
  const app = await build(t, {}, { clock })
  const user = await registerUser(app)
  const token = user.session.access_token
  const { secret, recoveryCodes } = await enableTotp(app, clock, user.session)

  clock.advance(30)
  const res = await post(app, '/recovery-codes', token, { password: TEST_PASSWORD, mfa_code: totpCode(secret, clock.now()) })
  t.equal(res.statusCode, 200)
  const fresh = res.json<{ recovery_codes: string[] }>().recovery_codes
  t.equal(fresh.length, 10)
  t.notOk(fresh.some((code) => recoveryCodes.includes(code)))
  const old = await post(app, '/recovery-codes', token, { password: TEST_PASSWORD, mfa_code: recoveryCodes[0] ?? '' })
  t.equal(old.statusCode, 401, 'an old code no longer passes')
  t.match(old.json(), { code: 'invalid_mfa_code' })
  const byRecovery = await post(app, '/recovery-codes', token, { password: TEST_PASSWORD, mfa_code: fresh[0] ?? '' })
  t.equal(byRecovery.statusCode, 200, 'a recovery code works as mfa_code too')
  t.strictSame(await status(app, token), { totp: true, passkeys: 0, recovery_codes_left: 10 })
})

t.test('turning TOTP off', async (t) => {
  const clock = testClock()
  const app = await build(t, {}, { clock })
  const user = await registerUser(app)
  const token = user.session.access_token

  t.equal((await post(app, '/recovery-codes', token, { password: TEST_PASSWORD })).statusCode, 409, 'no recovery codes without TOTP')
  const { secret } = await enableTotp(app, clock, user.session)
  clock.advance(30)
  const off = await app.inject({
    method: 'DELETE', url: '/api/v1/users/me/mfa/totp', headers: bearer(token), payload: { password: TEST_PASSWORD, mfa_code: totpCode(secret, clock.now()) }
  })
  t.equal(off.statusCode, 204)
  t.strictSame(await status(app, token), { totp: false, passkeys: 0, recovery_codes_left: 0 })
  t.equal((await app.inject({ url: '/api/v1/users/me', headers: bearer(token) })).json<{ mfa_enabled: boolean }>().mfa_enabled, false)
  const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: user.username, password: TEST_PASSWORD } })
  t.equal(login.statusCode, 200, 'a login needs the password alone again')
  const twice = await app.inject({ method: 'DELETE', url: '/api/v1/users/me/mfa/totp', headers: bearer(token), payload: { password: TEST_PASSWORD } })
  t.equal(twice.statusCode, 204, 'nothing left to turn off is no error, and needs no code')
})
