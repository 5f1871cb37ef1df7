import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import type { AuthEventRow } from '../src/db/types.js'
import { bearer, build, registerUser, TEST_PASSWORD, type SessionBody } from './helpers/app.js'
import { inboxOf } from './helpers/mail.js'
import { startSmtpServer } from './helpers/smtp.js'

const AGENT = 'AuditTest/1.0'
const NEW_PASSWORD = 'another fine passphrase'
const RESET_PASSWORD = 'reset to this passphrase'

t.test('auth_events records every account event, and never a secret', async (t) => {
  const smtp = await startSmtpServer(t)
  // No grace period: a second use of a rotated refresh token is reuse at once.
  const app = await build(t, { SMTP_URL: smtp.url, REFRESH_REUSE_GRACE_SECONDS: '0' })
  const headers = { 'user-agent': AGENT }
  const post = (url: string, payload: object, accessToken?: string) =>
    app.inject({ method: 'POST', url: `/api/v1${url}`, headers: { ...headers, ...(accessToken === undefined ? {} : bearer(accessToken)) }, payload })
  const secrets: string[] = []
  const eventsOf = async (userId: string | null): Promise<AuthEventRow[]> => {
    await app.background.idle()
    const query = app.db.selectFrom('auth_events').selectAll().orderBy('created_at').orderBy('type')
    return await (userId === null ? query.where('user_id', 'is', null) : query.where('user_id', '=', userId)).execute()
  }

  const registered = await app.inject({ method: 'POST', url: '/api/v1/auth/register', headers, payload: { email: 'audited@example.com', username: 'audited', password: TEST_PASSWORD } })
  const session = registered.json<SessionBody>()
  const userId = session.user.id
  secrets.push(TEST_PASSWORD, session.access_token, session.refresh_token ?? '')

  t.match((await post('/auth/login', { username: 'audited', password: 'wrong password!' })).json(), { code: 'invalid_credentials' })
  t.match((await post('/auth/login', { username: 'nobody-at-all', password: 'whatever it is' })).json(), { code: 'invalid_credentials' })
  const second = (await post('/auth/login', { email: 'audited@example.com', password: TEST_PASSWORD })).json<SessionBody>()
  secrets.push(second.access_token, second.refresh_token ?? '')

  const rotated = (await post('/auth/refresh', { refresh_token: second.refresh_token })).json<SessionBody>()
  secrets.push(rotated.access_token, rotated.refresh_token ?? '')
  await sleep(5)
  t.match((await post('/auth/refresh', { refresh_token: second.refresh_token })).json(), { code: 'refresh_token_reused' })

  t.equal((await post('/auth/logout', { scope: 'local' }, session.access_token)).statusCode, 204)
  const third = (await post('/auth/login', { username: 'audited', password: TEST_PASSWORD })).json<SessionBody>()
  secrets.push(third.access_token, third.refresh_token ?? '')

  t.equal((await post('/auth/forgot-password', { email: 'audited@example.com' })).statusCode, 202)
  t.equal((await post('/auth/forgot-password', { email: 'unknown-person@example.com' })).statusCode, 202)
  const resetMail = await inboxOf(smtp).take('reset-password')
  const resetToken = resetMail.token ?? ''
  secrets.push(resetToken, resetMail.code ?? '')
  t.equal((await post('/auth/reset-password', { token: resetToken, new_password: RESET_PASSWORD })).statusCode, 204)
  secrets.push(RESET_PASSWORD)

  const fourth = (await post('/auth/login', { username: 'audited', password: RESET_PASSWORD })).json<SessionBody>()
  const fifth = (await post('/auth/login', { username: 'audited', password: RESET_PASSWORD })).json<SessionBody>()
  secrets.push(fourth.access_token, fourth.refresh_token ?? '', fifth.access_token, fifth.refresh_token ?? '')
  t.equal((await post('/auth/change-password', { current_password: RESET_PASSWORD, new_password: NEW_PASSWORD }, fourth.access_token)).statusCode, 204)
  secrets.push(NEW_PASSWORD)
  const sixth = (await post('/auth/login', { username: 'audited', password: NEW_PASSWORD })).json<SessionBody>()
  const sixthSid = JSON.parse(Buffer.from(sixth.access_token.split('.')[1] ?? '', 'base64url').toString()).sid as string
  t.equal((await app.inject({ method: 'DELETE', url: `/api/v1/users/me/sessions/${sixthSid}`, headers: { ...headers, ...bearer(fourth.access_token) } })).statusCode, 204)
  t.equal((await app.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: { ...headers, ...bearer(fourth.access_token) }, payload: { username: 'audited_too' } })).statusCode, 200)
  t.equal((await app.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: { ...headers, ...bearer(fourth.access_token) }, payload: { password: NEW_PASSWORD } })).statusCode, 204)

  const events = await eventsOf(userId)
  t.same(events.map((e) => e.type), [
    'register',
    'login_failed',
    'login_succeeded',
    'refresh_reuse_detected',
    'logout',
    'login_succeeded',
    'password_reset_requested',
    'password_reset_completed',
    'login_succeeded',
    'login_succeeded',
    'password_changed',
    'login_succeeded',
    'logout',
    'profile_updated',
    'account_deleted'
  ], 'one row per event, and none for a successful refresh')
  for (const event of events) {
    t.equal(event.ip, '127.0.0.1', `${event.type}: ip`)
    t.equal(event.user_agent, AGENT, `${event.type}: user agent`)
    t.ok(event.created_at instanceof Date)
  }
  const byType = (type: string) => events.filter((e) => e.type === type).map((e) => e.details)
  t.same(byType('login_failed'), [{ reason: 'wrong_password' }])
  t.same(byType('register'), [{ session_id: JSON.parse(Buffer.from(session.access_token.split('.')[1] ?? '', 'base64url').toString()).sid }])
  t.same(byType('logout').map((d) => d.scope), ['local', 'session'])
  t.same(byType('logout')[1], { scope: 'session', session_id: sixthSid })
  t.same(byType('profile_updated'), [{ fields: ['username'] }])

  const anonymous = await eventsOf(null)
  t.same(anonymous.map((e) => [e.type, e.details]), [
    ['login_failed', { reason: 'unknown_account' }],
    ['password_reset_requested', {}]
  ], 'events without a known account keep no trace of what was typed')

  const stored = JSON.stringify(await app.db.selectFrom('auth_events').selectAll().execute())
  for (const secret of secrets) t.notOk(stored.includes(secret), 'no password or token is stored')
  t.notOk(stored.includes('nobody-at-all') || stored.includes('unknown-person'), 'no login name typed for an unknown account is stored')
})

t.test('a failed audit write is logged and does not fail the request', async (t) => {
  const app = await build(t)
  await app.db.schema.alterTable('auth_events').renameTo('auth_events_away').execute()
  const user = await registerUser(app)
  const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: user.username, password: TEST_PASSWORD } })
  t.equal(login.statusCode, 200)
  await app.background.idle()
  await app.db.schema.alterTable('auth_events_away').renameTo('auth_events').execute()
})
