import t from 'tap'
import { build, registerUser, TEST_PASSWORD } from './helpers/app.js'

t.test('refresh_expires_in is the whole REFRESH_TOKEN_TTL, counted from the issue, not from the answer', async (t) => {
  const app = await build(t)
  const { username, session } = await registerUser(app)
  t.equal(session.refresh_expires_in, 604800, 'register')
  const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password: TEST_PASSWORD } })
  t.equal(login.json().refresh_expires_in, 604800, 'login')
  const refreshed = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', headers: { 'x-auth-transport': 'cookie' }, payload: { refresh_token: session.refresh_token } })
  t.equal(refreshed.json().refresh_expires_in, 604800, 'refresh')
  t.equal(refreshed.cookies.find((c) => c.name === 'refresh_token')?.maxAge, 604800, 'and the cookie\'s Max-Age')
})

t.test('capped by the session\'s absolute end', async (t) => {
  const app = await build(t, { REFRESH_TOKEN_TTL: '600', SESSION_MAX_AGE: '300' })
  const { session } = await registerUser(app)
  t.equal(session.refresh_expires_in, 300)
})
