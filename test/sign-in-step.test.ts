import t, { type Test } from 'tap'
import type { App } from '../src/app.js'
import { bearer, build, registerUser, TEST_PASSWORD, type SessionBody } from './helpers/app.js'
import { decodeJwt } from './helpers/jwt-forge.js'

const origin = { userAgent: 'test', ip: '192.0.2.1' }

/** A confirmed TOTP factor written straight to the table: this file tests the sign-in step, not enrollment. */
async function markMfaOn (t: Test, app: App, userId: string): Promise<void> {
  const now = new Date()
  await app.mfaRepository.putPendingTotp(userId, 'sealed-secret-stand-in', now)
  t.ok(await app.mfaRepository.confirmTotp(userId, 1, new Date(now.getTime() - 1000), now), 'factor confirmed')
}

const login = (app: App, payload: object) => app.inject({ method: 'POST', url: '/api/v1/auth/login', payload })

t.test('amr: recorded on the session, carried in the access token, kept by refresh', async (t) => {
  const app = await build(t)
  const user = await registerUser(app)
  t.strictSame(decodeJwt(user.session.access_token).payload.amr, ['pwd'], 'register: a password')

  const res = await login(app, { username: user.username, password: TEST_PASSWORD })
  t.equal(res.statusCode, 200)
  const session = res.json<SessionBody>()
  const claims = decodeJwt(session.access_token).payload
  t.strictSame(claims.amr, ['pwd'], 'password login: pwd')
  const row = await app.db.selectFrom('sessions').select('amr').where('id', '=', String(claims.sid)).executeTakeFirstOrThrow()
  t.strictSame(row.amr, ['pwd'], 'on the session row')

  const refreshed = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: session.refresh_token } })
  t.equal(refreshed.statusCode, 200)
  t.strictSame(decodeJwt(refreshed.json<SessionBody>().access_token).payload.amr, ['pwd'], 'refresh keeps it')

  const twoFactor = await app.signIn.complete(user.session.user.id, ['hwk', 'mfa'], origin)
  const rotated = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: twoFactor.refreshToken } })
  t.strictSame(decodeJwt(rotated.json<SessionBody>().access_token).payload.amr, ['hwk', 'mfa'], 'whatever the session started with')
})

t.test('a right password of an account with a second factor answers mfa_required', async (t) => {
  const app = await build(t)
  const plain = await registerUser(app)
  const guarded = await registerUser(app)
  await markMfaOn(t, app, guarded.session.user.id)

  const res = await login(app, { email: guarded.email, password: TEST_PASSWORD })
  t.equal(res.statusCode, 401)
  t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.equal(res.headers['cache-control'], 'no-store', 'it carries a token')
  const problem = res.json<{ code: string, mfa_token: string, methods: string[] }>()
  t.match(problem, { status: 401, code: 'mfa_required', methods: ['totp'] })
  t.match(problem.mfa_token, /^[A-Za-z0-9_-]{43}$/, 'opaque, 256 bits')
  t.notOk(res.headers['set-cookie'], 'no refresh cookie yet')
  const sessions = await app.db.selectFrom('sessions').select('id').where('user_id', '=', guarded.session.user.id).execute()
  t.equal(sessions.length, 1, 'no session started: only the one of registration')

  const second = await login(app, { username: guarded.username, password: TEST_PASSWORD })
  t.not(second.json<{ mfa_token: string }>().mfa_token, problem.mfa_token, 'a new token per login')

  t.test('a wrong password says nothing about the factor', async (t) => {
    const wrongGuarded = await login(app, { username: guarded.username, password: 'not the password at all' })
    const wrongPlain = await login(app, { username: plain.username, password: 'not the password at all' })
    t.equal(wrongGuarded.statusCode, 401)
    t.strictSame(wrongGuarded.json(), wrongPlain.json(), 'the same body as for an account without MFA')
    t.strictSame(Object.keys(wrongGuarded.headers).sort(), Object.keys(wrongPlain.headers).sort(), 'the same headers')
    t.equal(wrongGuarded.json<{ code: string }>().code, 'invalid_credentials')
  })

  t.test('the password grant answers the OAuth2-style 403', async (t) => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ grant_type: 'password', username: guarded.username, password: TEST_PASSWORD }).toString()
    })
    t.equal(res.statusCode, 403)
    t.match(res.headers['content-type'], /^application\/json/)
    t.equal(res.headers['cache-control'], 'no-store')
    const body = res.json<{ error: string, error_description: string, mfa_token: string, methods: string[] }>()
    t.equal(body.error, 'mfa_required')
    t.type(body.error_description, 'string')
    t.match(body.mfa_token, /^[A-Za-z0-9_-]{43}$/)
    t.strictSame(body.methods, ['totp'])
  })

  t.test('every sign-in path takes the same step', async (t) => {
    const userId = guarded.session.user.id
    await t.rejects(app.signIn.complete(userId, ['fed'], origin), { code: 'mfa_required' }, 'a provider identity needs the second factor')
    await t.rejects(app.signIn.complete(userId, ['hwk'], origin), { code: 'mfa_required' }, 'so does a passkey that did not verify the user')
    const passkey = await app.signIn.complete(userId, ['hwk', 'mfa'], origin)
    t.strictSame(decodeJwt(passkey.accessToken).payload.amr, ['hwk', 'mfa'], 'a user-verifying passkey is two factors already')
    const me = await app.inject({ url: '/api/v1/users/me', headers: bearer(passkey.accessToken) })
    t.equal(me.statusCode, 200)
    const plainFed = await app.signIn.complete(plain.session.user.id, ['fed'], origin)
    t.strictSame(decodeJwt(plainFed.accessToken).payload.amr, ['fed'], 'without MFA the session starts at once')
  })

  t.test('the challenge is audited without the token', async (t) => {
    await app.background.idle()
    const events = await app.db.selectFrom('auth_events').select(['type', 'details'])
      .where('user_id', '=', guarded.session.user.id).where('type', '=', 'mfa_required').execute()
    t.ok(events.length >= 2)
    t.strictSame(events[0]?.details, { methods: ['totp'], amr: ['pwd'] })
    t.notOk(JSON.stringify(events).includes(problem.mfa_token))
  })
})
