import fc from 'fast-check'
import t from 'tap'
import { bearer, build, registerUser, testClock, TEST_PASSWORD, type SessionBody } from './helpers/app.js'
import { createAdmin } from './helpers/admin.js'
import { inboxOf } from './helpers/mail.js'
import { startSmtpServer } from './helpers/smtp.js'

const NEW_PASSWORD = 'a different passphrase'

t.test('changing the email, security notices, reset codes', async (t) => {
  const smtp = await startSmtpServer(t)
  const clock = testClock()
  const app = await build(t, { SMTP_URL: smtp.url }, { clock })
  const inbox = inboxOf(smtp)
  const post = (url: string, payload: object, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url: `/api/v1/auth/${url}`, payload, headers })
  const login = (username: string, password = TEST_PASSWORD, agent = 'Phone/1') => post('login', { username, password }, { 'user-agent': agent })

  t.test('the new address waits in pending_email until its own verification is used', async (t) => {
    const user = await registerUser(app, { email: 'old@example.com' })
    await inbox.take('verify-email', 'old@example.com')
    const patch = await app.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: bearer(user.session.access_token), payload: { email: 'New@Example.com', current_password: TEST_PASSWORD } })
    t.equal(patch.statusCode, 200)
    t.match(patch.json(), { email: 'old@example.com', pending_email: 'new@example.com', email_verified: false })
    const notice = await inbox.take('email-change-requested', 'old@example.com')
    t.ok(notice.text.includes('new@example.com'), 'the old address is told where the account is moving')
    const { code } = await inbox.take('verify-email', 'new@example.com')

    t.equal((await login('old@example.com')).statusCode, 200, 'until then login uses the old address')
    t.equal((await login('new@example.com')).statusCode, 401)
    await post('forgot-password', { email: 'new@example.com' })
    await post('forgot-password', { email: 'old@example.com' })
    const reset = await inbox.take('reset-password')
    t.same(reset.to, ['old@example.com'], 'and so does a reset')

    const verified = await post('verify-email', { email: 'new@example.com', code })
    t.equal(verified.statusCode, 200)
    t.match(verified.json<SessionBody>().user, { email: 'new@example.com', pending_email: null, email_verified: true })
    t.equal((await login('new@example.com')).statusCode, 200)
    t.equal((await login('old@example.com')).statusCode, 401)
    t.match((await post('reset-password', { token: reset.token, new_password: NEW_PASSWORD })).json(), { code: 'invalid_reset_token' }, 'a reset mailed to the old address is void')
  })

  t.test('409 email_taken when another account took the pending address first', async (t) => {
    const user = await registerUser(app)
    await app.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: bearer(user.session.access_token), payload: { email: 'contested@example.com', current_password: TEST_PASSWORD } })
    const { token } = await inbox.take('verify-email', 'contested@example.com')
    await registerUser(app, { email: 'contested@example.com' })
    const taken = await post('verify-email', { token })
    t.equal(taken.statusCode, 409)
    t.match(taken.json(), { code: 'email_taken' })
    const me = await app.inject({ url: '/api/v1/users/me', headers: bearer(user.session.access_token) })
    t.match(me.json(), { email: user.email, pending_email: 'contested@example.com' })
  })

  t.test('reset mails carry a code; reset-password takes it with the email', async (t) => {
    const user = await registerUser(app)
    await post('forgot-password', { email: user.email })
    const mail = await inbox.take('reset-password', user.email)
    t.match(mail.code, /^\d{6}$/)
    const wrong = mail.code === '111111' ? '222222' : '111111'
    t.match((await post('reset-password', { email: user.email, code: wrong, new_password: NEW_PASSWORD })).json(), { code: 'invalid_reset_token' })
    t.equal((await post('reset-password', { email: user.email, code: mail.code, new_password: NEW_PASSWORD })).statusCode, 204)
    t.equal((await login(user.username, NEW_PASSWORD)).statusCode, 200)
    const changed = await inbox.take('password-changed', user.email)
    t.match(changed.subject, 'Your password was changed')
    t.match((await post('reset-password', { email: user.email, code: mail.code, new_password: TEST_PASSWORD })).json(), { code: 'invalid_reset_token' }, 'once')
  })

  t.test('password-changed after a change; new-sign-in for an agent unseen in 90 days, never the first session', async (t) => {
    const registered = await post('register', { email: 'notice@example.com', username: 'notice', password: TEST_PASSWORD }, { 'user-agent': 'Phone/1' })
    const session = registered.json<SessionBody>()
    await inbox.take('verify-email', 'notice@example.com')
    t.equal((await login('notice')).statusCode, 200, 'same agent as the first session')
    t.equal((await login('notice', TEST_PASSWORD, 'Laptop/2')).statusCode, 200)
    const signIn = await inbox.take('new-sign-in', 'notice@example.com')
    t.ok(signIn.text.includes('Laptop/2'))
    clock.advance(91 * 86400)
    t.teardown(() => clock.advance(-91 * 86400))
    t.equal((await login('notice')).statusCode, 200)
    await inbox.take('new-sign-in', 'notice@example.com')
    t.equal((await app.inject({ method: 'POST', url: '/api/v1/auth/change-password', headers: bearer(session.access_token), payload: { current_password: TEST_PASSWORD, new_password: NEW_PASSWORD } })).statusCode, 204)
    await inbox.take('password-changed', 'notice@example.com')
    const rest = await inbox.rest(() => app.background.idle())
    t.same(rest.filter((m) => m.to.includes('notice@example.com')).map((m) => m.kind), [], 'nothing else: not for the same agent, not for the first session')
  })

  t.test('PATCH /users/{id} sets email_verified, audited', async (t) => {
    const admin = await createAdmin(app)
    const user = await registerUser(app)
    const res = await app.inject({ method: 'PATCH', url: `/api/v1/users/${user.session.user.id}`, headers: bearer(admin.session.access_token), payload: { email_verified: true } })
    t.equal(res.statusCode, 200)
    t.equal(res.json().email_verified, true)
    await app.background.idle()
    const events = await app.db.selectFrom('auth_events').select(['type', 'details']).where('user_id', '=', user.session.user.id).where('type', '=', 'email_verified_set').execute()
    t.same(events.map((e) => e.details), [{ email_verified: true, set_by: admin.id }])
    const denied = await app.inject({ method: 'PATCH', url: `/api/v1/users/${user.session.user.id}`, headers: bearer(user.session.access_token), payload: { email_verified: false } })
    t.equal(denied.statusCode, 403)
  })

  t.test('hostile bodies on the new routes answer 4xx problems, never 500', async (t) => {
    const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ maxLength: 40 }), fc.constant('\u0000'), fc.emailAddress(), fc.constant('123456'))
    const body = fc.oneof(
      fc.record({ token: text }), fc.record({ email: text, code: text }), fc.record({ token: text, email: text }),
      fc.record({ email: text, code: text, new_password: text }), fc.record({ token: text, new_password: text }),
      fc.dictionary(text, text, { maxKeys: 3 }), fc.record({ email: text }))
    await fc.assert(fc.asyncProperty(fc.constantFrom('verify-email', 'resend-verification', 'reset-password'), body, async (route, payload) => {
      const res = await post(route, payload)
      return (res.statusCode === 202 && route === 'resend-verification') || (res.statusCode >= 400 && res.statusCode < 500 && res.headers['content-type']?.startsWith('application/problem+json') === true)
    }), { numRuns: 150 })
    t.pass('every answer was a problem')
  })
})
