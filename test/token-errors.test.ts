import t from 'tap'
import { build, registerUser } from './helpers/app.js'

t.test('the token endpoint answers a bad grant in the RFC 6749 §5.2 shape, not 500', async (t) => {
  const app = await build(t)
  const user = await registerUser(app)
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ grant_type: 'password', username: user.username, password: 'not the password' }).toString()
  })
  t.equal(res.statusCode, 400)
  t.same(res.json(), { error: 'invalid_grant', error_description: 'The login or the password is wrong.' })
})
