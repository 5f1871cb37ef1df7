import t from 'tap'
import { generateOpaqueToken, hashOpaqueToken } from '../src/services/tokens.js'
import { bearer, build, registerUser, TEST_PASSWORD, type SessionBody } from './helpers/app.js'

const NEW_PASSWORD = 'a freshly chosen passphrase'

t.test('change-password', async (t) => {
  const app = await build(t)
  const login = (username: string, password: string) =>
    app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } })
  const change = (accessToken: string, payload: object) =>
    app.inject({ method: 'POST', url: '/api/v1/auth/change-password', headers: bearer(accessToken), payload })
  const me = (accessToken: string) => app.inject({ url: '/api/v1/users/me', headers: bearer(accessToken) })
  const refresh = (refreshToken: string | undefined) =>
    app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: refreshToken } })

  t.test('ends every other session and keeps the current one', async (t) => {
    const user = await registerUser(app)
    const other = (await login(user.username, TEST_PASSWORD)).json<SessionBody>()
    const res = await change(user.session.access_token, { current_password: TEST_PASSWORD, new_password: NEW_PASSWORD })
    t.equal(res.statusCode, 204)
    t.equal(res.body, '')

    t.equal((await me(user.session.access_token)).statusCode, 200, 'this access token still works')
    t.equal((await refresh(user.session.refresh_token)).statusCode, 200, 'this session still refreshes')
    const revoked = await me(other.access_token)
    t.equal(revoked.statusCode, 401)
    t.match(revoked.json(), { code: 'token_revoked' })
    t.match((await refresh(other.refresh_token)).json(), { code: 'invalid_refresh_token' })

    t.equal((await login(user.username, NEW_PASSWORD)).statusCode, 200)
    t.equal((await login(user.username, TEST_PASSWORD)).statusCode, 401)
  })

  t.test('a wrong current password changes nothing', async (t) => {
    const user = await registerUser(app)
    const other = (await login(user.username, TEST_PASSWORD)).json<SessionBody>()
    const res = await change(user.session.access_token, { current_password: 'not the password', new_password: NEW_PASSWORD })
    t.equal(res.statusCode, 400)
    t.match(res.json(), { code: 'invalid_current_password', errors: [{ path: '/current_password' }] })
    t.equal((await me(other.access_token)).statusCode, 200, 'other sessions live on')
    t.equal((await login(user.username, TEST_PASSWORD)).statusCode, 200)
  })

  t.test('the new password must pass the policy', async (t) => {
    const user = await registerUser(app)
    for (const weak of ['qwerty123', user.email, 'tiny']) {
      const res = await change(user.session.access_token, { current_password: TEST_PASSWORD, new_password: weak })
      t.equal(res.statusCode, 400)
      t.match(res.json(), { code: 'weak_password', errors: [{ path: '/new_password' }] })
    }
    t.equal((await login(user.username, TEST_PASSWORD)).statusCode, 200)
  })

  t.test('a reset link mailed before the change no longer works', async (t) => {
    const user = await registerUser(app)
    const token = generateOpaqueToken()
    await app.db.insertInto('password_reset_tokens').values({
      token_hash: hashOpaqueToken(token), user_id: user.session.user.id, expires_at: new Date(Date.now() + 600_000)
    }).execute()
    t.equal((await change(user.session.access_token, { current_password: TEST_PASSWORD, new_password: NEW_PASSWORD })).statusCode, 204)
    const res = await app.inject({ method: 'POST', url: '/api/v1/auth/reset-password', payload: { token, new_password: 'attacker chosen words' } })
    t.match(res.json(), { code: 'invalid_reset_token' })
  })

  t.test('needs an access token and a valid body', async (t) => {
    const anonymous = await app.inject({ method: 'POST', url: '/api/v1/auth/change-password', payload: { current_password: 'x', new_password: NEW_PASSWORD } })
    t.equal(anonymous.statusCode, 401)
    t.match(anonymous.json(), { code: 'invalid_token' })
    const user = await registerUser(app)
    const missing = await change(user.session.access_token, { new_password: NEW_PASSWORD })
    t.equal(missing.statusCode, 400)
    t.match(missing.json(), { code: 'validation_failed', errors: [{ path: '/current_password' }] })
  })
})
