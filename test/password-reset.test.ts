import t from 'tap'
import { hashOpaqueToken } from '../src/services/tokens.js'
import { bearer, build, registerUser, TEST_PASSWORD } from './helpers/app.js'
import { inboxOf } from './helpers/mail.js'
import { startSmtpServer } from './helpers/smtp.js'

const APP_URL = 'https://app.example/account/'
const MAIL_FROM = 'Example Accounts <accounts@app.example>'
const NEW_PASSWORD = 'a brand new passphrase'

t.test('password recovery by mail', async (t) => {
  const smtp = await startSmtpServer(t)
  const app = await build(t, { SMTP_URL: smtp.url, APP_URL, MAIL_FROM })
  const inbox = inboxOf(smtp)

  const forgot = (email: string) => app.inject({ method: 'POST', url: '/api/v1/auth/forgot-password', payload: { email } })
  const reset = (token: string, password = NEW_PASSWORD) =>
    app.inject({ method: 'POST', url: '/api/v1/auth/reset-password', payload: { token, new_password: password } })
  const login = (username: string, password: string) =>
    app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } })

  /** Asks for a reset and reads the token from the delivered mail. */
  async function mailedToken (email: string): Promise<string> {
    const res = await forgot(email)
    if (res.statusCode !== 202) throw new Error(`forgot-password answered ${res.statusCode}`)
    const { token } = await inbox.take('reset-password', email.toLowerCase())
    if (token === undefined) throw new Error('no link in the mail')
    return token
  }

  t.test('the mail carries a single-use link to APP_URL, in plain text and HTML, from MAIL_FROM', async (t) => {
    const user = await registerUser(app, { email: 'Recover.Me@Example.com' })
    const res = await forgot('recover.me@EXAMPLE.com')
    t.equal(res.statusCode, 202)
    t.same(res.json(), { message: 'If an account with this email exists, a link to reset its password is on its way.' })

    const mail = await inbox.take('reset-password')
    t.same(mail.to, ['recover.me@example.com'])
    t.equal(mail.from, 'accounts@app.example')
    t.match(mail.headers.get('from'), /Example Accounts/)
    t.equal(mail.subject, 'Reset your password')
    const { text, html } = mail
    const link = /https:\/\/app\.example\/account\/reset-password\?token=([A-Za-z0-9_-]+)/.exec(text)
    t.ok(link, 'the link joins APP_URL and /reset-password')
    const token = link?.[1] ?? ''
    t.ok(Buffer.from(token, 'base64url').length >= 32, 'at least 256 bits')
    t.match(text, /within 30 minutes/)
    t.ok(html.includes(`href="https://app.example/account/reset-password?token=${token}"`), 'the HTML body links too')

    const rows = await app.db.selectFrom('password_reset_tokens').selectAll().where('user_id', '=', user.session.user.id).execute()
    t.equal(rows.length, 1)
    t.equal(rows[0]?.token_hash, hashOpaqueToken(token), 'only the hash is stored')
    t.equal(((rows[0]?.expires_at.getTime() ?? 0) - (rows[0]?.created_at.getTime() ?? 0)) / 1000, 1800, '30-minute default lifetime')

    t.equal((await reset(token)).statusCode, 204)
    t.equal((await login(user.username, NEW_PASSWORD)).statusCode, 200, 'the new password works')
    const old = await login(user.username, TEST_PASSWORD)
    t.equal(old.statusCode, 401, 'the old one does not')

    const again = await reset(token, 'yet another passphrase')
    t.equal(again.statusCode, 400)
    t.match(again.json(), { code: 'invalid_reset_token', status: 400 })
  })

  t.test('an unknown email gets the same answer and no mail', async (t) => {
    await app.background.idle()
    const before = smtp.received.length
    const res = await forgot('nobody-here@example.com')
    t.equal(res.statusCode, 202)
    t.same(res.json(), { message: 'If an account with this email exists, a link to reset its password is on its way.' })
    await app.background.idle()
    t.equal(smtp.received.length, before)
  })

  t.test('the answer does not wait for the mail', async (t) => {
    const user = await registerUser(app)
    await app.background.idle()
    const release = smtp.hold()
    const before = smtp.received.length
    const res = await forgot(user.email)
    t.equal(res.statusCode, 202)
    t.equal(smtp.received.length, before, 'answered while the SMTP server still holds the mail')
    release()
    await app.background.idle()
    t.equal(smtp.received.length, before + 1)
    await inbox.take('reset-password', user.email)
  })

  t.test('a new token voids the older unused ones', async (t) => {
    const user = await registerUser(app)
    const first = await mailedToken(user.email)
    const second = await mailedToken(user.email)
    t.not(first, second)
    t.match((await reset(first)).json(), { code: 'invalid_reset_token' })
    t.equal((await reset(second)).statusCode, 204)
  })

  t.test('an expired token is refused', async (t) => {
    const user = await registerUser(app)
    const token = await mailedToken(user.email)
    await app.db.updateTable('password_reset_tokens').set({ expires_at: new Date(Date.now() - 1000) })
      .where('token_hash', '=', hashOpaqueToken(token)).execute()
    const res = await reset(token)
    t.equal(res.statusCode, 400)
    t.match(res.json(), { code: 'invalid_reset_token' })
    t.equal((await login(user.username, TEST_PASSWORD)).statusCode, 200, 'the password is unchanged')
  })

  t.test('unknown and malformed tokens are refused', async (t) => {
    const unknown = await reset('A'.repeat(43))
    t.equal(unknown.statusCode, 400)
    t.match(unknown.json(), { code: 'invalid_reset_token' })
    const missing = await app.inject({ method: 'POST', url: '/api/v1/auth/reset-password', payload: { new_password: NEW_PASSWORD } })
    t.equal(missing.statusCode, 400)
    t.match(missing.json(), { code: 'validation_failed', errors: [{ path: '/token' }] })
    const badEmail = await forgot('not an email')
    t.equal(badEmail.statusCode, 400)
    t.match(badEmail.json(), { code: 'validation_failed' })
  })

  t.test('a weak new password is refused and the token stays usable', async (t) => {
    const user = await registerUser(app)
    const token = await mailedToken(user.email)
    for (const weak of ['password123', user.username, 'short']) {
      const res = await reset(token, weak)
      t.equal(res.statusCode, 400)
      t.match(res.json(), { code: 'weak_password', errors: [{ path: '/new_password' }] })
    }
    t.equal((await reset(token)).statusCode, 204)
  })

  t.test('a reset ends every session and voids every earlier access token', async (t) => {
    const user = await registerUser(app)
    const second = (await login(user.username, TEST_PASSWORD)).json<{ access_token: string, refresh_token: string }>()
    const token = await mailedToken(user.email)
    t.equal((await reset(token)).statusCode, 204)

    for (const access of [user.session.access_token, second.access_token]) {
      const me = await app.inject({ url: '/api/v1/users/me', headers: bearer(access) })
      t.equal(me.statusCode, 401)
      t.match(me.json(), { code: 'token_revoked' })
    }
    for (const refresh of [user.session.refresh_token, second.refresh_token]) {
      const res = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: refresh } })
      t.equal(res.statusCode, 401)
      t.match(res.json(), { code: 'invalid_refresh_token' })
    }
    const state = await app.revocations.check(user.session.user.id, '00000000-0000-4000-8000-000000000000')
    t.ok(state.notBefore !== null && state.notBefore >= Math.floor(Date.now() / 1000) - 5, 'access tokens of any session issued before are void')

    const fresh = await login(user.username, NEW_PASSWORD)
    t.equal(fresh.statusCode, 200)
    const me = await app.inject({ url: '/api/v1/users/me', headers: bearer(fresh.json().access_token) })
    t.equal(me.statusCode, 200, 'a session started after the reset works, even within the same second')
  })

  t.test('an inactive account gets no mail', async (t) => {
    const user = await registerUser(app)
    await app.db.updateTable('users').set({ is_active: false }).where('id', '=', user.session.user.id).execute()
    await app.background.idle()
    const before = smtp.received.length
    t.equal((await forgot(user.email)).statusCode, 202)
    await app.background.idle()
    t.equal(smtp.received.length, before)
  })
})
