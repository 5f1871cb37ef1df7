import t from 'tap'
import { hashOpaqueToken } from '../src/services/tokens.js'
import { build, registerUser, testClock, TEST_PASSWORD, type SessionBody } from './helpers/app.js'
import { inboxOf, type Inbox } from './helpers/mail.js'
import { startSmtpServer } from './helpers/smtp.js'
import type { App } from '../src/app.js'

const APP_URL = 'https://app.example'

function client (app: App) {
  const post = (url: string, payload: object, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url: `/api/v1/auth/${url}`, payload, headers })
  return {
    post,
    verify: (payload: object, headers: Record<string, string> = {}) => post('verify-email', payload, headers),
    login: (username: string, password = TEST_PASSWORD) => post('login', { username, password }),
    register: (email: string, username: string) => post('register', { email, username, password: TEST_PASSWORD })
  }
}

async function verificationOf (inbox: Inbox, to: string): Promise<{ token: string, code: string }> {
  const mail = await inbox.take('verify-email', to)
  if (mail.token === undefined || mail.code === undefined) throw new Error('the mail has no link or no code')
  return { token: mail.token, code: mail.code }
}

t.test('EMAIL_VERIFICATION=optional', async (t) => {
  const smtp = await startSmtpServer(t)
  const clock = testClock()
  const app = await build(t, { SMTP_URL: smtp.url, APP_URL }, { clock })
  const inbox = inboxOf(smtp)
  const api = client(app)

  t.test('register answers a session and mails a link and a code, stored only as hashes', async (t) => {
    const user = await registerUser(app, { email: 'Opt.In@Example.com' })
    t.match(user.session.user, { email: 'opt.in@example.com', email_verified: false, pending_email: null })
    const mail = await inbox.take('verify-email', 'opt.in@example.com')
    t.equal(mail.subject, 'Confirm your email address')
    t.ok(mail.text.includes(`${APP_URL}/verify-email?token=${mail.token ?? ''}`))
    t.ok(Buffer.from(mail.token ?? '', 'base64url').length >= 32, '256 bits')
    t.match(mail.code, /^\d{6}$/)
    const rows = await app.db.selectFrom('email_verifications').selectAll().where('user_id', '=', user.session.user.id).execute()
    t.equal(rows.length, 1)
    t.equal(rows[0]?.token_hash, hashOpaqueToken(mail.token ?? ''))
    t.notOk(JSON.stringify(rows).includes(mail.code ?? ''), 'the code is not stored as such')
    t.equal(rows[0]?.email, 'opt.in@example.com')

    const verified = await api.verify({ token: mail.token }, { 'x-auth-transport': 'body' })
    t.equal(verified.statusCode, 200)
    const session = verified.json<SessionBody>()
    t.match(session.user, { id: user.session.user.id, email_verified: true })
    t.ok(session.refresh_token, 'the refresh token is in the body')
    t.equal(verified.headers['set-cookie'], undefined, 'and not in a cookie (X-Auth-Transport: body)')
    t.equal(verified.headers['cache-control'], 'no-store')
    const me = await app.inject({ url: '/api/v1/users/me', headers: { authorization: `Bearer ${session.access_token}` } })
    t.equal(me.json().email_verified, true)

    const again = await api.verify({ token: mail.token })
    t.equal(again.statusCode, 400)
    t.match(again.json(), { code: 'invalid_verification_token', status: 400 })
    t.equal((await api.verify({ email: 'opt.in@example.com', code: mail.code })).json().code, 'invalid_verification_token', 'the code of a used mail is spent too')
  })

  t.test('a code works with the address it was sent to only, and five wrong codes void it', async (t) => {
    const user = await registerUser(app)
    const { code } = await verificationOf(inbox, user.email)
    const other = await registerUser(app)
    await inbox.take('verify-email', other.email)
    t.match((await api.verify({ email: other.email, code })).json(), { code: 'invalid_verification_token' }, 'another address')
    const wrong = code === '000000' ? '000001' : '000000'
    for (let i = 0; i < 4; i += 1) t.equal((await api.verify({ email: user.email, code: wrong })).statusCode, 400)
    const right = await api.verify({ email: user.email.toUpperCase(), code })
    t.equal(right.statusCode, 200, 'four wrong codes leave the right one working')

    const third = await registerUser(app)
    const mail = await verificationOf(inbox, third.email)
    const bad = mail.code === '123456' ? '654321' : '123456'
    for (let i = 0; i < 5; i += 1) t.equal((await api.verify({ email: third.email, code: bad })).statusCode, 400)
    t.match((await api.verify({ email: third.email, code: mail.code })).json(), { code: 'invalid_verification_token' }, 'void after five wrong codes')
    t.equal((await api.verify({ token: mail.token })).statusCode, 200, 'the link of the same mail still works')
  })

  t.test('parallel wrong guesses cannot get past the five allowed', async (t) => {
    const user = await registerUser(app)
    const { code } = await verificationOf(inbox, user.email)
    const guesses = Array.from({ length: 30 }, (_, i) => String(i).padStart(6, '0')).filter((c) => c !== code)
    await Promise.all(guesses.map((guess) => api.verify({ email: user.email, code: guess })))
    const [row] = await app.db.selectFrom('email_verifications').select('attempts').where('user_id', '=', user.session.user.id).execute()
    t.equal(row?.attempts, 5)
    t.equal((await api.verify({ email: user.email, code })).statusCode, 400)
  })

  t.test('a newer mail voids the older one', async (t) => {
    const user = await registerUser(app)
    const first = await verificationOf(inbox, user.email)
    t.equal((await api.post('resend-verification', { email: user.email })).statusCode, 202)
    const second = await verificationOf(inbox, user.email)
    t.not(first.token, second.token)
    t.equal((await api.verify({ token: first.token })).statusCode, 400)
    t.equal((await api.verify({ email: user.email, code: first.code === second.code ? '------' : first.code })).statusCode, 400)
    t.equal((await api.verify({ email: user.email, code: second.code })).statusCode, 200)
  })

  t.test('two parallel verifications with one link: exactly one wins', async (t) => {
    const user = await registerUser(app)
    const { token, code } = await verificationOf(inbox, user.email)
    const answers = await Promise.all([api.verify({ token }), api.verify({ token }), api.verify({ email: user.email, code })])
    t.same(answers.map((a) => a.statusCode).sort(), [200, 400, 400])
    const sessions = await app.db.selectFrom('sessions').select('id').where('user_id', '=', user.session.user.id).execute()
    t.equal(sessions.length, 2, 'the registration session and one more')
  })

  t.test('a link past VERIFY_TOKEN_TTL is refused (injected clock)', async (t) => {
    const user = await registerUser(app)
    const { token, code } = await verificationOf(inbox, user.email)
    clock.advance(86401)
    t.teardown(() => clock.advance(-86401))
    t.match((await api.verify({ token })).json(), { code: 'invalid_verification_token' })
    t.match((await api.verify({ email: user.email, code })).json(), { code: 'invalid_verification_token' })
  })

  t.test('resend-verification answers the same for every address and mails only who waits', async (t) => {
    const waiting = await registerUser(app)
    await inbox.take('verify-email', waiting.email)
    const done = await registerUser(app)
    const { token } = await verificationOf(inbox, done.email)
    await api.verify({ token })
    const answers = await Promise.all([waiting.email, done.email, 'nobody@example.com'].map((email) => api.post('resend-verification', { email })))
    t.same(answers.map((a) => [a.statusCode, a.json()]), Array(3).fill([202, { message: 'If this address waits for a verification, a new link and code are on their way.' }]))
    const rest = await inbox.rest(() => app.background.idle())
    t.same(rest.map((m) => [m.kind, m.to]), [['verify-email', [waiting.email]]])
    await inbox.take('verify-email', waiting.email)
  })
})

t.test('EMAIL_VERIFICATION=required', async (t) => {
  const smtp = await startSmtpServer(t)
  const app = await build(t, { SMTP_URL: smtp.url, EMAIL_VERIFICATION: 'required' })
  const inbox = inboxOf(smtp)
  const api = client(app)

  const registered = await api.register('strict@example.com', 'strict')
  t.equal(registered.statusCode, 202)
  const body = registered.json()
  t.same(Object.keys(body).sort(), ['message', 'user'])
  t.match(body, { user: { email: 'strict@example.com', email_verified: false }, message: 'A link and a code to verify the email address are on their way.' })
  t.equal(registered.headers['set-cookie'], undefined, 'no session, no cookie')

  t.match((await api.login('strict', 'a wrong password!')).json(), { code: 'invalid_credentials', status: 401 }, 'a wrong password learns nothing')
  const refused = await api.login('strict')
  t.equal(refused.statusCode, 403)
  t.match(refused.json(), { code: 'email_not_verified', status: 403 })
  const grant = await app.inject({ method: 'POST', url: '/api/v1/auth/token', payload: 'grant_type=password&username=strict&password=' + encodeURIComponent(TEST_PASSWORD), headers: { 'content-type': 'application/x-www-form-urlencoded' } })
  t.equal(grant.statusCode, 403)
  t.match(grant.json(), { error: 'email_not_verified', error_description: String })

  const { code } = await verificationOf(inbox, 'strict@example.com')
  const verified = await api.verify({ email: 'strict@example.com', code }, { 'x-auth-transport': 'cookie' })
  t.equal(verified.statusCode, 200)
  t.equal(verified.json().refresh_token, undefined, 'X-Auth-Transport: cookie keeps the refresh token out of the body')
  t.match(String(verified.headers['set-cookie']), /^refresh_token=/)
  t.equal((await api.login('strict')).statusCode, 200)
  const rest = await inbox.rest(() => app.background.idle())
  t.same(rest.map((m) => m.kind), [], 'the first session (at verification) is no new sign-in; the login from the same agent neither')
})
