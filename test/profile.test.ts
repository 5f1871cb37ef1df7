import t from 'tap'
import { generateOpaqueToken, hashOpaqueToken } from '../src/services/tokens.js'
import { bearer, build, registerUser, TEST_PASSWORD } from './helpers/app.js'

t.test('PATCH /users/me', async (t) => {
  const app = await build(t)
  const patch = (accessToken: string, payload: object) =>
    app.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: bearer(accessToken), payload })
  const me = (accessToken: string) => app.inject({ url: '/api/v1/users/me', headers: bearer(accessToken) })

  t.test('a new email needs the current password, and shows at once as pending', async (t) => {
    const user = await registerUser(app)
    const token = user.session.access_token
    t.equal((await me(token)).json().email, user.email, 'cached before the change')

    const missing = await patch(token, { email: 'new.address@example.com' })
    t.equal(missing.statusCode, 400)
    t.match(missing.json(), { code: 'validation_failed', errors: [{ path: '/current_password' }] })
    const wrong = await patch(token, { email: 'new.address@example.com', current_password: 'not it at all' })
    t.equal(wrong.statusCode, 400)
    t.match(wrong.json(), { code: 'invalid_current_password' })
    t.equal((await me(token)).json().email, user.email, 'unchanged after refusals')

    const res = await patch(token, { email: 'New.Address@Example.com', current_password: TEST_PASSWORD })
    t.equal(res.statusCode, 200)
    t.match(res.json(), { id: user.session.user.id, email: user.email, pending_email: 'new.address@example.com', username: user.username, roles: ['user'] })
    t.notOk('password_hash' in res.json())
    t.ok(Date.parse(res.json().updated_at) >= Date.parse(user.session.user.updated_at))
    t.equal((await me(token)).json().pending_email, 'new.address@example.com', 'GET /users/me is not served stale')

    const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'new.address@example.com', password: TEST_PASSWORD } })
    t.equal(login.statusCode, 401, 'the new address signs in only once verified')
  })

  t.test('a reset link mailed to the old email works while the change waits, not after it is applied', async (t) => {
    const user = await registerUser(app)
    const token = generateOpaqueToken()
    await app.db.insertInto('password_reset_tokens').values({
      token_hash: hashOpaqueToken(token), user_id: user.session.user.id, expires_at: new Date(Date.now() + 600_000)
    }).execute()
    const renamed = await patch(user.session.access_token, { username: `r${user.username}`.slice(0, 32) })
    t.equal(renamed.statusCode, 200)
    t.equal((await app.db.selectFrom('password_reset_tokens').select('token_hash').where('user_id', '=', user.session.user.id).execute()).length, 1,
      'a new username leaves the link alone')
    t.equal((await patch(user.session.access_token, { email: `moved.${user.email}`, current_password: TEST_PASSWORD })).statusCode, 200)
    t.equal((await app.db.selectFrom('password_reset_tokens').select('token_hash').where('user_id', '=', user.session.user.id).execute()).length, 1,
      'the account still has the old address')
    await app.background.idle()
    await app.db.updateTable('email_verifications').set({ token_hash: hashOpaqueToken('known-link') }).where('user_id', '=', user.session.user.id).execute()
    t.equal((await app.inject({ method: 'POST', url: '/api/v1/auth/verify-email', payload: { token: 'known-link' } })).statusCode, 200)
    const reset = await app.inject({ method: 'POST', url: '/api/v1/auth/reset-password', payload: { token, new_password: 'taken over by the old mailbox' } })
    t.equal(reset.statusCode, 400)
    t.match(reset.json(), { code: 'invalid_reset_token' })
  })

  t.test('a new username alone needs no password; a given password is still checked', async (t) => {
    const user = await registerUser(app)
    const renamed = `renamed_${user.username}`.slice(0, 32)
    const res = await patch(user.session.access_token, { username: renamed })
    t.equal(res.statusCode, 200)
    t.equal(res.json().username, renamed)
    t.equal((await me(user.session.access_token)).json().username, renamed)

    const wrong = await patch(user.session.access_token, { username: `x${renamed}`.slice(0, 32), current_password: 'wrong password' })
    t.equal(wrong.statusCode, 400)
    t.match(wrong.json(), { code: 'invalid_current_password' })
  })

  t.test('the same values, or none, change nothing and need no password', async (t) => {
    const user = await registerUser(app)
    const same = await patch(user.session.access_token, { email: user.email.toUpperCase(), username: user.username })
    t.equal(same.statusCode, 200)
    t.equal(same.json().updated_at, user.session.user.updated_at)
    const empty = await patch(user.session.access_token, {})
    t.equal(empty.statusCode, 200)
    t.equal(empty.json().email, user.email)
  })

  t.test('an email or username of another account is a 409', async (t) => {
    const taken = await registerUser(app)
    const user = await registerUser(app)
    const email = await patch(user.session.access_token, { email: taken.email.toUpperCase(), current_password: TEST_PASSWORD })
    t.equal(email.statusCode, 409)
    t.match(email.json(), { code: 'email_taken' })
    const username = await patch(user.session.access_token, { username: taken.username.toUpperCase() })
    t.equal(username.statusCode, 409)
    t.match(username.json(), { code: 'username_taken' })
    t.equal((await me(user.session.access_token)).json().email, user.email)
  })

  t.test('bad input is a 400, no token a 401', async (t) => {
    const user = await registerUser(app)
    for (const payload of [{ email: 'not-an-email', current_password: TEST_PASSWORD }, { username: 'no spaces allowed' }, { is_active: false }, { roles: ['admin'] }]) {
      const res = await patch(user.session.access_token, payload)
      t.equal(res.statusCode, 400, JSON.stringify(payload))
      t.match(res.json(), { code: 'validation_failed' })
    }
    const anonymous = await app.inject({ method: 'PATCH', url: '/api/v1/users/me', payload: { username: 'whoever' } })
    t.equal(anonymous.statusCode, 401)
  })
})
