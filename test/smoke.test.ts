import t from 'tap'
import { bearer, build, registerUser } from './helper.js'

t.test('a registered user reads their own profile', async (t) => {
  const app = await build(t)
  const { session, email } = await registerUser(app, { email: 'Smoke@Example.com' })
  const res = await app.inject({ url: '/api/v1/users/me', headers: bearer(session.access_token) })
  t.equal(res.statusCode, 200)
  t.equal(res.json().email, email.toLowerCase())
})
