/**
 * NUL and unpaired surrogates in any string field are refused by validation as 400
 * validation_failed, on every route: PostgreSQL cannot store `\u0000` in text, and a lone
 * surrogate is not UTF-8 at all, so either one reaching a query would be a 500.
 */
import t from 'tap'
import fc from 'fast-check'
import { bearer, build, registerUser, TEST_PASSWORD } from './helpers/app.js'
import { createAdmin } from './helpers/admin.js'

const BAD = ['a\u0000b', '\u0000', 'x\uD800', '\uDC00y', 'é\uDBFFz']

t.test('NUL and lone surrogates in bodies, queries and params answer 400 validation_failed', async (t) => {
  const app = await build(t)
  const user = await registerUser(app)
  const admin = await createAdmin(app)
  const auth = bearer(admin.session.access_token)

  for (const bad of BAD) {
    const cases = [
      { method: 'POST', url: '/api/v1/auth/login', payload: { username: bad, password: TEST_PASSWORD }, field: '/username' },
      { method: 'POST', url: '/api/v1/auth/login', payload: { username: user.username, password: bad }, field: '/password' },
      { method: 'POST', url: '/api/v1/auth/register', payload: { email: `a${bad}@example.com`, username: 'someone', password: TEST_PASSWORD }, field: '/email' },
      { method: 'POST', url: '/api/v1/auth/forgot-password', payload: { email: `${bad}@example.com` }, field: '/email' },
      { method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: bad }, field: '/refresh_token' },
      { method: 'POST', url: '/api/v1/auth/reset-password', payload: { token: bad, new_password: TEST_PASSWORD }, field: '/token' },
      { method: 'POST', url: '/api/v1/roles', payload: { name: 'ok-name', description: bad, permissions: [] }, headers: auth, field: '/description' },
      { method: 'POST', url: '/api/v1/roles', payload: { name: 'ok-name', permissions: [bad] }, headers: auth, field: '/permissions/0' }
    ] as const
    for (const c of cases) {
      const res = await app.inject({ method: c.method, url: c.url, payload: c.payload, headers: 'headers' in c ? c.headers : {} })
      t.equal(res.statusCode, 400, `${c.url} ${c.field} ${JSON.stringify(bad)}`)
      t.match(res.json(), { code: 'validation_failed', errors: [{ path: c.field }] })
    }
    if (bad.includes('\u0000')) {
      // A URL carries UTF-8 only: a lone surrogate cannot be percent-encoded into one, NUL can.
      const query = await app.inject({ url: `/api/v1/users?q=${encodeURIComponent(bad)}`, headers: auth })
      t.equal(query.statusCode, 400, `GET /users?q= ${JSON.stringify(bad)}`)
      t.match(query.json(), { code: 'validation_failed', errors: [{ path: 'querystring/q' }] })
    }
    const token = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ grant_type: 'password', username: bad, password: TEST_PASSWORD }).toString()
    })
    t.equal(token.statusCode, 400, `/auth/token ${JSON.stringify(bad)}`)
  }
  const role = await app.inject({ method: 'DELETE', url: '/api/v1/roles/a%00b', headers: auth })
  t.equal(role.statusCode, 400, 'a NUL in a path parameter')
  t.match(role.json(), { code: 'validation_failed', errors: [{ path: 'params/name' }] })
})

t.test('login with any Unicode or binary-ish string never answers 5xx', async (t) => {
  const app = await build(t)
  const anyString = fc.oneof(fc.string({ unit: 'binary', maxLength: 30 }), fc.string({ unit: 'grapheme', maxLength: 30 }),
    fc.string({ unit: 'binary-ascii', maxLength: 30 }))
  await fc.assert(fc.asyncProperty(anyString, anyString, async (username, password) => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } })
    if (res.statusCode >= 500) throw new Error(`${res.statusCode} for ${JSON.stringify({ username, password })}: ${res.body}`)
  }), { numRuns: 60, seed: 20260521 })
  t.pass('60 logins')
})
