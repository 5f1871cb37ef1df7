import t from 'tap'
import { bearer, build, registerUser, TEST_PASSWORD, type SessionBody } from './helpers/app.js'

interface ListedSession {
  id: string
  created_at: string
  last_used_at: string
  expires_at: string
  user_agent: string | null
  ip: string | null
  current: boolean
}

t.test('GET and DELETE /users/me/sessions', async (t) => {
  const app = await build(t)
  const login = async (username: string, userAgent: string) => (await app.inject({
    method: 'POST', url: '/api/v1/auth/login', headers: { 'user-agent': userAgent }, payload: { username, password: TEST_PASSWORD }
  })).json<SessionBody>()
  const list = (accessToken: string) => app.inject({ url: '/api/v1/users/me/sessions', headers: bearer(accessToken) })
  const end = (accessToken: string, id: string) =>
    app.inject({ method: 'DELETE', url: `/api/v1/users/me/sessions/${id}`, headers: bearer(accessToken) })
  const sessionIdOf = (accessToken: string): string =>
    JSON.parse(Buffer.from(accessToken.split('.')[1] ?? '', 'base64url').toString()).sid

  t.test('lists the live sessions with the current one marked', async (t) => {
    const user = await registerUser(app)
    const phone = await login(user.username, 'PhoneApp/1.0')
    const laptop = await login(user.username, 'Laptop Browser')
    const gone = await login(user.username, 'Old Tablet')
    const expired = await login(user.username, 'Expired Kiosk')
    const idle = await login(user.username, 'Idle Desktop')
    await app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: bearer(gone.access_token) })
    await app.db.updateTable('sessions').set({ expires_at: new Date(Date.now() - 1000) }).where('id', '=', sessionIdOf(expired.access_token)).execute()
    await app.db.updateTable('refresh_tokens').set({ expires_at: new Date(Date.now() - 1000) }).where('session_id', '=', sessionIdOf(idle.access_token)).execute()

    const res = await list(laptop.access_token)
    t.equal(res.statusCode, 200)
    const sessions = res.json<ListedSession[]>()
    t.same(sessions.map((s) => s.id).sort(), [sessionIdOf(user.session.access_token), sessionIdOf(phone.access_token), sessionIdOf(laptop.access_token)].sort(),
      'logged out, expired and idle sessions are not listed')
    t.same(sessions.filter((s) => s.current).map((s) => s.user_agent), ['Laptop Browser'])
    const entry = sessions.find((s) => s.user_agent === 'PhoneApp/1.0')
    t.match(entry, { current: false, ip: '127.0.0.1' })
    t.same(Object.keys(entry ?? {}).sort(), ['created_at', 'current', 'expires_at', 'id', 'ip', 'last_used_at', 'user_agent'])
    t.ok(Date.parse(entry?.expires_at ?? '') > Date.now())
    t.ok(Date.parse(sessions[0]?.last_used_at ?? '') >= Date.parse(sessions[2]?.last_used_at ?? ''), 'most recently used first')
  })

  t.test('ending one of your other sessions', async (t) => {
    const user = await registerUser(app)
    const other = await login(user.username, 'Other Device')
    const res = await end(user.session.access_token, sessionIdOf(other.access_token))
    t.equal(res.statusCode, 204)
    t.equal(res.headers['set-cookie'], undefined, 'the caller keeps its refresh cookie')
    t.match((await app.inject({ url: '/api/v1/users/me', headers: bearer(other.access_token) })).json(), { code: 'token_revoked' })
    const refreshed = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: other.refresh_token } })
    t.match(refreshed.json(), { code: 'invalid_refresh_token' })
    t.equal((await list(user.session.access_token)).json<ListedSession[]>().length, 1)
    const again = await end(user.session.access_token, sessionIdOf(other.access_token))
    t.equal(again.statusCode, 404, 'an ended session is not found')
  })

  t.test('another user\'s session is not found, and keeps working', async (t) => {
    const alice = await registerUser(app)
    const mallory = await registerUser(app)
    const res = await end(mallory.session.access_token, sessionIdOf(alice.session.access_token))
    t.equal(res.statusCode, 404)
    t.match(res.json(), { code: 'not_found', status: 404 })
    t.equal((await app.inject({ url: '/api/v1/users/me', headers: bearer(alice.session.access_token) })).statusCode, 200)
    t.notOk((await list(mallory.session.access_token)).json<ListedSession[]>().some((s) => s.id === sessionIdOf(alice.session.access_token)))
  })

  t.test('ending the current session signs this client out', async (t) => {
    const user = await registerUser(app)
    const current = sessionIdOf(user.session.access_token)
    const res = await end(user.session.access_token, current.toUpperCase())
    t.equal(res.statusCode, 204)
    t.match(res.headers['set-cookie'], /refresh_token=;/, 'the refresh cookie is cleared')
    const after = await list(user.session.access_token)
    t.equal(after.statusCode, 401)
    t.match(after.json(), { code: 'token_revoked' })
  })

  t.test('unknown ids are 404, malformed ones 400, no token 401', async (t) => {
    const user = await registerUser(app)
    const unknown = await end(user.session.access_token, '3f1c8a52-7d7e-4a53-9b1e-2f4c6d8e0a1b')
    t.equal(unknown.statusCode, 404)
    t.match(unknown.json(), { code: 'not_found' })
    const malformed = await end(user.session.access_token, 'not-a-uuid')
    t.equal(malformed.statusCode, 400)
    t.match(malformed.json(), { code: 'validation_failed' })
    t.equal((await app.inject({ url: '/api/v1/users/me/sessions' })).statusCode, 401)
  })
})
