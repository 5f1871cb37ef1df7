import t from 'tap'
import { generateOpaqueToken, hashOpaqueToken } from '../src/services/tokens.js'
import { bearer, build, registerUser, TEST_PASSWORD, type SessionBody } from './helpers/app.js'

t.test('DELETE /users/me', async (t) => {
  const app = await build(t)
  const remove = (accessToken: string, payload?: object) =>
    app.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: bearer(accessToken), ...(payload === undefined ? {} : { payload }) })
  const login = (username: string, password = TEST_PASSWORD) =>
    app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } })

  t.test('needs the password', async (t) => {
    const user = await registerUser(app)
    const wrong = await remove(user.session.access_token, { password: 'not the password' })
    t.equal(wrong.statusCode, 400)
    t.match(wrong.json(), { code: 'invalid_current_password', errors: [{ path: '/password' }] })
    const missing = await remove(user.session.access_token)
    t.equal(missing.statusCode, 400)
    t.match(missing.json(), { code: 'validation_failed' })
    const extra = await remove(user.session.access_token, { password: TEST_PASSWORD, force: true })
    t.equal(extra.statusCode, 400)
    t.match(extra.json(), { code: 'validation_failed' })
    t.equal((await login(user.username)).statusCode, 200, 'the account is still there')
  })

  t.test('soft-deletes, ends every session, frees the email and username for good', async (t) => {
    const user = await registerUser(app)
    const other = (await login(user.email)).json<SessionBody>()
    const resetToken = generateOpaqueToken()
    await app.db.insertInto('password_reset_tokens').values({
      token_hash: hashOpaqueToken(resetToken), user_id: user.session.user.id, expires_at: new Date(Date.now() + 600_000)
    }).execute()
    const res = await remove(user.session.access_token, { password: TEST_PASSWORD })
    t.equal(res.statusCode, 204)
    t.match(res.headers['set-cookie'], /refresh_token=;.*Path=\/api\/v1\/auth/, 'the refresh cookie is cleared')

    for (const session of [user.session, other]) {
      const me = await app.inject({ url: '/api/v1/users/me', headers: bearer(session.access_token) })
      t.equal(me.statusCode, 401)
      t.match(me.json(), { code: 'token_revoked' })
      const refreshed = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: session.refresh_token } })
      t.equal(refreshed.statusCode, 401)
      t.match(refreshed.json(), { code: 'invalid_refresh_token' })
    }
    for (const name of [user.username, user.email]) {
      const res = await login(name)
      t.equal(res.statusCode, 401)
      t.match(res.json(), { code: 'invalid_credentials' })
    }

    const row = await app.db.selectFrom('users').select(['deleted_at']).where('id', '=', user.session.user.id).executeTakeFirstOrThrow()
    t.ok(row.deleted_at instanceof Date, 'the row stays, marked deleted')

    const reset = await app.inject({ method: 'POST', url: '/api/v1/auth/reset-password', payload: { token: resetToken, new_password: 'bring it back to life' } })
    t.match(reset.json(), { code: 'invalid_reset_token' }, 'a reset link mailed before cannot revive it')

    await app.inject({ method: 'POST', url: '/api/v1/auth/forgot-password', payload: { email: user.email } })
    await app.background.idle()
    const tokens = await app.db.selectFrom('password_reset_tokens').select('token_hash').where('user_id', '=', user.session.user.id).execute()
    t.equal(tokens.length, 0, 'a deleted account gets no reset token')

    const again = await registerUser(app, { email: user.email.toUpperCase(), username: user.username, password: TEST_PASSWORD })
    t.not(again.session.user.id, user.session.user.id)
    const relogin = await login(user.username)
    t.equal(relogin.statusCode, 200)
    t.equal(relogin.json().user.id, again.session.user.id, 'the same credentials now open only the new account')
  })
})
