import t from 'tap'
import type { App } from '../src/app.js'
import { build, registerUser, TEST_PASSWORD, type SessionBody } from './helpers/app.js'
import { decodeJwt } from './helpers/jwt-forge.js'
import { enableTotp, loginForMfaToken, testClock, totpCode, verifyMfa, type TestClock } from './helpers/mfa.js'

async function mfaAccount (app: App, clock: TestClock) {
  const user = await registerUser(app)
  const factor = await enableTotp(app, clock, user.session)
  return { ...user, ...factor, id: user.session.user.id }
}

t.test('login with TOTP: mfa_required, then the code completes it', async (t) => {
  const clock = testClock()
  const app = await build(t, {}, { clock })
  const user = await mfaAccount(app, clock)

  const challenge = await loginForMfaToken(app, user.username)
  t.match(challenge, { code: 'mfa_required', methods: ['totp', 'recovery_code'] })

  clock.advance(30)
  const res = await verifyMfa(app, { mfa_token: challenge.mfa_token, code: totpCode(user.secret, clock.now()) }, { 'x-auth-transport': 'cookie' })
  t.equal(res.statusCode, 200)
  t.equal(res.headers['cache-control'], 'no-store')
  const session = res.json<SessionBody>()
  t.equal(session.refresh_token, undefined, 'X-Auth-Transport is honoured')
  t.match(String(res.headers['set-cookie']), /^refresh_token=/)
  t.strictSame(decodeJwt(session.access_token).payload.amr, ['pwd', 'otp', 'mfa'])
  t.equal(session.user.id, user.id)

  const reused = await verifyMfa(app, { mfa_token: challenge.mfa_token, code: totpCode(user.secret, clock.now() + 30_000) })
  t.equal(reused.statusCode, 401)
  t.match(reused.json(), { code: 'invalid_mfa_token' }, 'the token works once')

  const body = await verifyMfa(app, { mfa_token: (await loginForMfaToken(app, user.email)).mfa_token, code: totpCode(user.secret, clock.now() + 30_000) },
    { 'x-auth-transport': 'body' })
  const refreshed = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: body.json<SessionBody>().refresh_token } })
  t.strictSame(decodeJwt(refreshed.json<SessionBody>().access_token).payload.amr, ['pwd', 'otp', 'mfa'], 'refresh keeps amr')
})

t.test('±1 step of skew, and a code is accepted once', async (t) => {
  const clock = testClock()
  const app = await build(t, {}, { clock })
  const user = await mfaAccount(app, clock)
  const at = (steps: number) => totpCode(user.secret, clock.now() + steps * 30_000)
  const attempt = async (code: string) => {
    const { mfa_token: mfaToken } = await loginForMfaToken(app, user.username)
    return (await verifyMfa(app, { mfa_token: mfaToken, code })).statusCode
  }

  clock.advance(60)
  t.equal(await attempt(at(-1)), 200, 'the previous step (a slow phone)')
  clock.advance(30)
  t.equal(await attempt(at(-2)), 401, 'two steps back is too old')
  t.equal(await attempt(at(1)), 200, 'the next step (a fast phone)')
  t.equal(await attempt(at(0)), 401, 'a step before the last one used is refused')
  t.equal(await attempt(at(1)), 401, 'the same code again is a replay')
  clock.advance(60)
  t.equal(await attempt(at(2)), 401, 'two steps ahead is too far')
  const code = at(0)
  t.equal(await attempt(code), 200)
  t.equal(await attempt(code), 401, 'replay within the same 30 s step')
})

t.test('recovery codes complete a login once each', async (t) => {
  const clock = testClock()
  const app = await build(t, {}, { clock })
  const user = await mfaAccount(app, clock)
  const [first = '', second = ''] = user.recoveryCodes

  const res = await verifyMfa(app, { mfa_token: (await loginForMfaToken(app, user.username)).mfa_token, recovery_code: first })
  t.equal(res.statusCode, 200)
  t.strictSame(decodeJwt(res.json<SessionBody>().access_token).payload.amr, ['pwd', 'otp', 'mfa'])
  const again = await verifyMfa(app, { mfa_token: (await loginForMfaToken(app, user.username)).mfa_token, recovery_code: first })
  t.equal(again.statusCode, 401)
  t.match(again.json(), { code: 'invalid_mfa_code' }, 'single use')
  const typed = ` ${second.toUpperCase().replaceAll('-', ' ')} `
  t.equal((await verifyMfa(app, { mfa_token: (await loginForMfaToken(app, user.username)).mfa_token, recovery_code: typed })).statusCode,
    200, 'case, spaces and dashes do not matter')
  const totpAsRecovery = await verifyMfa(app, { mfa_token: (await loginForMfaToken(app, user.username)).mfa_token, recovery_code: totpCode(user.secret, clock.now() + 30_000) })
  t.equal(totpAsRecovery.statusCode, 401, 'a TOTP code is not a recovery code')

  for (const code of user.recoveryCodes.slice(2)) {
    t.equal((await verifyMfa(app, { mfa_token: (await loginForMfaToken(app, user.username)).mfa_token, recovery_code: code })).statusCode, 200)
  }
  t.strictSame((await loginForMfaToken(app, user.username)).methods, ['totp'], 'with no codes left, only TOTP is offered')
})

t.test('the mfa_token: exactly one of code or recovery_code, 5 minutes, 5 wrong codes, one winner of a race', async (t) => {
  const clock = testClock()
  const app = await build(t, {}, { clock })
  const user = await mfaAccount(app, clock)
  const next = () => totpCode(user.secret, clock.now() + 30_000)

  const { mfa_token: both } = await loginForMfaToken(app, user.username)
  const ambiguous = await verifyMfa(app, { mfa_token: both, code: next(), recovery_code: user.recoveryCodes[0] })
  t.equal(ambiguous.statusCode, 400)
  t.match(ambiguous.json(), { code: 'validation_failed' })
  t.equal((await verifyMfa(app, { mfa_token: both })).statusCode, 400)

  t.test('unknown', async (t) => {
    const res = await verifyMfa(app, { mfa_token: 'A'.repeat(43), code: next() })
    t.equal(res.statusCode, 401)
    t.match(res.json(), { code: 'invalid_mfa_token' })
  })

  t.test('expired after 5 minutes', async (t) => {
    const { mfa_token: token } = await loginForMfaToken(app, user.username)
    clock.advance(301)
    const res = await verifyMfa(app, { mfa_token: token, code: totpCode(user.secret, clock.now()) })
    t.equal(res.statusCode, 401)
    t.match(res.json(), { code: 'invalid_mfa_token' })
  })

  t.test('spent by 5 wrong codes', async (t) => {
    const { mfa_token: token } = await loginForMfaToken(app, user.username)
    const wrong = next() === '000000' ? '000001' : '000000'
    for (let i = 1; i <= 5; i++) {
      const res = await verifyMfa(app, { mfa_token: token, code: wrong })
      t.equal(res.statusCode, 401)
      t.match(res.json(), { code: 'invalid_mfa_code' }, `wrong code ${i}`)
    }
    const right = await verifyMfa(app, { mfa_token: token, code: next() })
    t.match(right.json(), { code: 'invalid_mfa_token' }, 'the right code comes too late')
  })

  t.test('two requests with the right code: one session', async (t) => {
    clock.advance(60)
    const { mfa_token: token } = await loginForMfaToken(app, user.username)
    const [a, b] = await Promise.all([
      verifyMfa(app, { mfa_token: token, code: totpCode(user.secret, clock.now()) }),
      verifyMfa(app, { mfa_token: token, recovery_code: user.recoveryCodes[1] })
    ])
    t.strictSame([a?.statusCode, b?.statusCode].sort(), [200, 401], 'exactly one wins')
  })
})

t.test('wrong codes count in the account\'s failed-login throttle', async (t) => {
  const clock = testClock()
  const app = await build(t, { LOGIN_THROTTLE_MAX: '5' }, { clock })
  const user = await mfaAccount(app, clock)
  const wrong = (totpCode(user.secret, clock.now() + 30_000) === '000000') ? '000001' : '000000'

  // Only failures count: the two right-password logins count nothing, the five wrong codes do.
  const { mfa_token: token } = await loginForMfaToken(app, user.username)
  const { mfa_token: spare } = await loginForMfaToken(app, user.email)
  for (let i = 0; i < 4; i++) t.equal((await verifyMfa(app, { mfa_token: token, code: wrong })).statusCode, 401)
  const fifth = await verifyMfa(app, { mfa_token: token, code: wrong })
  t.equal(fifth.statusCode, 401, 'the fifth failure is answered, and fills the account\'s budget')
  const byEmail = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: user.email, password: TEST_PASSWORD } })
  t.equal(byEmail.statusCode, 429, 'the login by email is throttled too: the account, whichever name it is typed under')
  t.ok(byEmail.headers['retry-after'])
  const byUsername = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: user.username, password: TEST_PASSWORD } })
  t.equal(byUsername.statusCode, 429)
  const right = await verifyMfa(app, { mfa_token: spare, code: totpCode(user.secret, clock.now() + 30_000) })
  t.equal(right.statusCode, 429, 'the code check itself is throttled, even with another token and the right code')
})

t.test('the password grant: 403 mfa_required, completed at /auth/mfa/verify', async (t) => {
  const clock = testClock()
  const app = await build(t, {}, { clock })
  const user = await mfaAccount(app, clock)
  const grant = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ grant_type: 'password', username: user.email, password: TEST_PASSWORD }).toString()
  })
  t.equal(grant.statusCode, 403)
  const body = grant.json<{ error: string, mfa_token: string }>()
  t.equal(body.error, 'mfa_required')
  clock.advance(30)
  const res = await verifyMfa(app, { mfa_token: body.mfa_token, code: totpCode(user.secret, clock.now()) })
  t.equal(res.statusCode, 200)
})
