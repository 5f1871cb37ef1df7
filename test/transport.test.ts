import t from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import type { App } from '../src/app.js'
import { hashOpaqueToken } from '../src/services/tokens.js'
import { bearer, build, registerUser, TEST_PASSWORD, type SessionBody } from './helpers/app.js'

function refreshCookie (res: LightMyRequestResponse) {
  return res.cookies.find((c) => c.name === 'refresh_token')
}

const login = (app: App, username: string, transport?: string) => app.inject({
  method: 'POST',
  url: '/api/v1/auth/login',
  headers: transport === undefined ? {} : { 'x-auth-transport': transport },
  payload: { username, password: TEST_PASSWORD }
})

t.test('X-Auth-Transport and the refresh cookie', async (t) => {
  const app = await build(t)
  const { username } = await registerUser(app)

  t.test('cookie: the refresh token only in an HttpOnly, Secure, SameSite=Strict cookie', async (t) => {
    const res = await login(app, username, 'cookie')
    t.equal(res.statusCode, 200)
    const body = res.json<SessionBody>()
    t.notOk('refresh_token' in body, 'absent from the body (SPA mode)')
    t.type(body.access_token, 'string')
    const cookie = refreshCookie(res)
    t.ok(cookie, 'the cookie is set')
    t.match(cookie, { httpOnly: true, secure: true, sameSite: 'Strict', path: '/api/v1/auth', maxAge: body.refresh_expires_in })
    t.match(cookie?.value, /^[A-Za-z0-9_-]{43,}$/)
    const raw = String(res.headers['set-cookie'])
    t.match(raw, /; HttpOnly/)
    t.match(raw, /; Secure/)
    t.match(raw, /; SameSite=Strict/)
    t.match(raw, /; Path=\/api\/v1\/auth/)
    t.match(raw, new RegExp(`; Max-Age=${body.refresh_expires_in}`))
    t.equal(res.headers['cache-control'], 'no-store')
  })

  t.test('body: the refresh token only in the body, no cookie (mobile mode)', async (t) => {
    const res = await login(app, username, 'body')
    t.equal(res.statusCode, 200)
    t.type(res.json().refresh_token, 'string')
    t.notOk(res.headers['set-cookie'])
    t.equal(res.headers['cache-control'], 'no-store')
  })

  t.test('absent: both, the same token', async (t) => {
    const res = await login(app, username)
    t.equal(res.statusCode, 200)
    t.equal(refreshCookie(res)?.value, res.json().refresh_token)
  })

  t.test('an unknown transport is a validation failure, not a silent default', async (t) => {
    const res = await login(app, username, 'carrier-pigeon')
    t.equal(res.statusCode, 400)
    t.match(res.json(), { code: 'validation_failed' })
  })

  t.test('register follows the transport too', async (t) => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      headers: { 'x-auth-transport': 'cookie' },
      payload: { email: 'cookie-register@example.com', username: 'cookie_register', password: TEST_PASSWORD }
    })
    t.equal(res.statusCode, 201)
    t.notOk('refresh_token' in res.json())
    t.ok(refreshCookie(res))
    t.equal(res.headers['cache-control'], 'no-store')
  })

  t.test('refresh from the cookie alone needs X-Auth-Transport (CSRF defence)', async (t) => {
    const first = await login(app, username, 'cookie')
    const cookie = `refresh_token=${refreshCookie(first)?.value ?? ''}`

    const forged = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', headers: { cookie } })
    t.equal(forged.statusCode, 403)
    t.match(forged.json(), { status: 403, code: 'forbidden', detail: /X-Auth-Transport/ })
    t.equal(forged.headers['content-type'], 'application/problem+json; charset=utf-8')

    // A cross-site form post cannot send JSON nor custom headers; a simple-request content type is refused anyway.
    const formPost = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'a=b'
    })
    t.equal(formPost.statusCode, 415)

    const res = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', headers: { cookie, 'x-auth-transport': 'cookie' } })
    t.equal(res.statusCode, 200, 'the refused attempt did not spend the token')
    t.notOk('refresh_token' in res.json())
    const rotated = refreshCookie(res)?.value
    t.ok(rotated)
    t.not(rotated, refreshCookie(first)?.value, 'the cookie carries the rotated token')
    t.equal(res.headers['cache-control'], 'no-store')
    t.equal((await app.inject({ url: '/api/v1/users/me', headers: bearer(res.json().access_token) })).statusCode, 200)
  })

  t.test('a refresh authenticated by the cookie answers by the cookie only, whatever X-Auth-Transport asks', async (t) => {
    const first = await login(app, username, 'cookie')
    let cookie = `refresh_token=${refreshCookie(first)?.value ?? ''}`
    for (const transport of ['body', 'cookie']) {
      const res = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', headers: { cookie, 'x-auth-transport': transport } })
      t.equal(res.statusCode, 200, transport)
      t.notOk('refresh_token' in res.json(), `${transport}: no refresh token a script could read`)
      const rotated = refreshCookie(res)
      t.ok(rotated?.httpOnly, `${transport}: the new one is in the HttpOnly cookie`)
      cookie = `refresh_token=${rotated?.value ?? ''}`
    }
  })

  t.test('the body wins over the cookie', async (t) => {
    const a = (await login(app, username, 'body')).json<SessionBody>()
    const b = (await login(app, username, 'body')).json<SessionBody>()
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      headers: { cookie: `refresh_token=${b.refresh_token ?? ''}`, 'x-auth-transport': 'body' },
      payload: { refresh_token: a.refresh_token }
    })
    t.equal(res.statusCode, 200)
    const rotatedAt = async (token: string | undefined) => (await app.db.selectFrom('refresh_tokens').select('rotated_at')
      .where('token_hash', '=', hashOpaqueToken(token ?? '')).executeTakeFirstOrThrow()).rotated_at
    t.not(await rotatedAt(a.refresh_token), null, 'the body token was rotated')
    t.equal(await rotatedAt(b.refresh_token), null, 'the cookie token was left alone')
  })

  t.test('every token answer is no-store', async (t) => {
    const session = (await login(app, username, 'body')).json<SessionBody>()
    const res = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: session.refresh_token } })
    t.equal(res.headers['cache-control'], 'no-store')
    t.equal(res.headers.pragma, 'no-cache')
  })
})

t.test('COOKIE_SECURE=false and COOKIE_SAMESITE=lax are honoured', async (t) => {
  const app = await build(t, { COOKIE_SECURE: 'false', COOKIE_SAMESITE: 'lax' })
  const { username } = await registerUser(app)
  const res = await login(app, username, 'cookie')
  const cookie = refreshCookie(res)
  t.match(cookie, { httpOnly: true, sameSite: 'Lax', path: '/api/v1/auth' })
  t.notOk(cookie?.secure)
  t.notMatch(String(res.headers['set-cookie']), /Secure/)
})

t.test('the OAuth2 token endpoint', async (t) => {
  const app = await build(t)
  const { username, email } = await registerUser(app)
  const token = (form: Record<string, string>, headers: Record<string, string> = {}) => app.inject({
    method: 'POST',
    url: '/api/v1/auth/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    payload: new URLSearchParams(form).toString()
  })

  t.test('password grant, with a username or an email', async (t) => {
    for (const login of [username, email.toUpperCase()]) {
      const res = await token({ grant_type: 'password', username: login, password: TEST_PASSWORD })
      t.equal(res.statusCode, 200)
      const body = res.json()
      t.strictSame(Object.keys(body).sort(), ['access_token', 'expires_in', 'refresh_token', 'token_type'])
      t.match(body, { token_type: 'bearer', expires_in: 900, refresh_token: String })
      t.equal(res.headers['cache-control'], 'no-store')
      t.equal(res.headers.pragma, 'no-cache')
      t.notOk(res.headers['set-cookie'], 'OAuth2 clients get the token in the body only')
      t.equal((await app.inject({ url: '/api/v1/users/me', headers: bearer(body.access_token) })).statusCode, 200)
    }
  })

  t.test('refresh_token grant rotates', async (t) => {
    const first = (await token({ grant_type: 'password', username, password: TEST_PASSWORD })).json()
    const res = await token({ grant_type: 'refresh_token', refresh_token: first.refresh_token, scope: '', client_id: 'swagger' })
    t.equal(res.statusCode, 200)
    t.not(res.json().refresh_token, first.refresh_token)
    t.equal(res.headers['cache-control'], 'no-store')
  })

  t.test('errors in the RFC 6749 §5.2 shape', async (t) => {
    const cases: Array<[string, Record<string, string>, number, string]> = [
      ['unknown grant', { grant_type: 'client_credentials' }, 400, 'unsupported_grant_type'],
      ['wrong password', { grant_type: 'password', username, password: 'wrong password here' }, 400, 'invalid_grant'],
      ['unknown user', { grant_type: 'password', username: 'nobody-here', password: TEST_PASSWORD }, 400, 'invalid_grant'],
      ['unknown refresh token', { grant_type: 'refresh_token', refresh_token: 'nope' }, 400, 'invalid_grant'],
      ['missing password', { grant_type: 'password', username }, 400, 'invalid_request'],
      ['missing username', { grant_type: 'password', password: TEST_PASSWORD }, 400, 'invalid_request'],
      ['missing refresh token', { grant_type: 'refresh_token' }, 400, 'invalid_request'],
      ['missing grant_type', { username, password: TEST_PASSWORD }, 400, 'invalid_request'],
      ['oversized parameter', { grant_type: 'password', username: 'u'.repeat(300), password: TEST_PASSWORD }, 400, 'invalid_request']
    ]
    for (const [name, form, status, error] of cases) {
      const res = await token(form)
      t.equal(res.statusCode, status, name)
      t.strictSame(Object.keys(res.json()).sort(), ['error', 'error_description'], name)
      t.equal(res.json().error, error, name)
      t.equal(res.headers['cache-control'], 'no-store', name)
    }
  })

  t.test('takes form bodies only', async (t) => {
    const json = await app.inject({ method: 'POST', url: '/api/v1/auth/token', payload: { grant_type: 'password', username, password: TEST_PASSWORD } })
    t.equal(json.statusCode, 415)
    t.match(json.json(), { error: 'invalid_request' })
    t.equal(json.headers['content-type'], 'application/json; charset=utf-8')
  })
})
