import t from 'tap'
import type { InjectOptions } from 'fastify'
import type { App } from '../src/app.js'
import { bearer, build, registerUser, TEST_PASSWORD } from './helpers/app.js'
import { enableTotp, testClock, totpCode } from './helpers/mfa.js'

const NEW_PASSWORD = 'a brand new passphrase for this account'

interface SensitiveRoute {
  name: string
  request: (token: string, mfaCode?: string) => InjectOptions
  success: number
}

const withCode = (body: Record<string, string>, mfaCode?: string) => (mfaCode === undefined ? body : { ...body, mfa_code: mfaCode })

const routes: SensitiveRoute[] = [
  {
    name: 'POST /auth/change-password',
    request: (token, code) => ({ method: 'POST', url: '/api/v1/auth/change-password', headers: bearer(token), payload: withCode({ current_password: TEST_PASSWORD, new_password: NEW_PASSWORD }, code) }),
    success: 204
  },
  {
    name: 'PATCH /users/me with email',
    request: (token, code) => ({ method: 'PATCH', url: '/api/v1/users/me', headers: bearer(token), payload: withCode({ email: 'moved@example.com', current_password: TEST_PASSWORD }, code) }),
    success: 200
  },
  {
    name: 'POST /users/me/mfa/recovery-codes',
    request: (token, code) => ({ method: 'POST', url: '/api/v1/users/me/mfa/recovery-codes', headers: bearer(token), payload: withCode({ password: TEST_PASSWORD }, code) }),
    success: 200
  },
  {
    name: 'DELETE /users/me/mfa/totp',
    request: (token, code) => ({ method: 'DELETE', url: '/api/v1/users/me/mfa/totp', headers: bearer(token), payload: withCode({ password: TEST_PASSWORD }, code) }),
    success: 204
  },
  {
    name: 'DELETE /users/me',
    request: (token, code) => ({ method: 'DELETE', url: '/api/v1/users/me', headers: bearer(token), payload: withCode({ password: TEST_PASSWORD }, code) }),
    success: 204
  }
]

async function mfaUser (app: App, clock: ReturnType<typeof testClock>) {
  const user = await registerUser(app)
  return { ...user, ...await enableTotp(app, clock, user.session) }
}

t.test('with MFA on, every sensitive change also needs mfa_code', async (t) => {
  const clock = testClock()
  const app = await build(t, {}, { clock })
  for (const route of routes) {
    t.test(route.name, async (t) => {
      const user = await mfaUser(app, clock)
      const token = user.session.access_token
      const missing = await app.inject(route.request(token))
      t.equal(missing.statusCode, 400)
      t.match(missing.json(), { code: 'mfa_code_required', errors: [{ path: '/mfa_code' }] })
      const wrong = await app.inject(route.request(token, totpCode(user.secret, clock.now()) === '000000' ? '000001' : '000000'))
      t.equal(wrong.statusCode, 401)
      t.match(wrong.json(), { code: 'invalid_mfa_code' })
      t.equal(wrong.headers['www-authenticate'], undefined, 'the access token is fine: no Bearer challenge')
      const replay = await app.inject(route.request(token, totpCode(user.secret, clock.now())))
      t.equal(replay.statusCode, 401, 'the code that confirmed the enrollment is spent')
      const ok = await app.inject(route.request(token, totpCode(user.secret, clock.now() + 30_000)))
      t.equal(ok.statusCode, route.success, `${route.name} with a fresh code`)
    })
  }

  t.test('a recovery code works as mfa_code', async (t) => {
    const user = await mfaUser(app, clock)
    const res = await app.inject(routes[0]?.request(user.session.access_token, user.recoveryCodes[3]) ?? {})
    t.equal(res.statusCode, 204)
  })

  t.test('a new username alone needs no code', async (t) => {
    const user = await mfaUser(app, clock)
    const res = await app.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: bearer(user.session.access_token), payload: { username: `${user.username}_x` } })
    t.equal(res.statusCode, 200)
  })

  t.test('a wrong password is answered before the code', async (t) => {
    const user = await mfaUser(app, clock)
    const res = await app.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: bearer(user.session.access_token), payload: { password: 'wrong password here' } })
    t.equal(res.statusCode, 400)
    t.match(res.json(), { code: 'invalid_current_password' })
  })
})

t.test('without MFA, mfa_code is neither needed nor checked', async (t) => {
  const app = await build(t)
  for (const route of routes.filter((r) => !r.name.includes('/mfa/'))) {
    const user = await registerUser(app)
    t.equal((await app.inject(route.request(user.session.access_token))).statusCode, route.success, route.name)
  }
})
