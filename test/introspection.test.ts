import t from 'tap'
import { randomUUID } from 'node:crypto'
import fc from 'fast-check'
import type { App } from '../src/app.js'
import { bearer, build, registerUser, TEST_ENV, TEST_JWT_SECRET } from './helpers/app.js'
import { createAdmin } from './helpers/admin.js'
import { decodeJwt, forgeJwt, hmacSigner } from './helpers/jwt-forge.js'

const CLIENTS = { INTROSPECTION_CLIENTS: 'billing:billing-secret-1234, reports:r3p0rts:with:colons' }
const basic = (name: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${name}:${secret}`).toString('base64')}` })

function introspect (app: App, token: string, headers: Record<string, string> = basic('billing', 'billing-secret-1234'), hint?: string) {
  const form = new URLSearchParams({ token, ...(hint === undefined ? {} : { token_type_hint: hint }) })
  return app.inject({ method: 'POST', url: '/api/v1/auth/introspect', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, payload: form.toString() })
}

t.test('introspection answers 404 when no client is configured', async (t) => {
  const app = await build(t)
  const { session } = await registerUser(app)
  const res = await introspect(app, session.access_token)
  t.equal(res.statusCode, 404)
  t.equal(res.json().code, 'not_found')
})

t.test('only clients of INTROSPECTION_CLIENTS, by HTTP Basic', async (t) => {
  const app = await build(t, CLIENTS)
  const { session } = await registerUser(app)
  for (const [name, headers] of [
    ['no credentials', {}],
    ['a wrong secret', basic('billing', 'billing-secret-12345')],
    ['another client\'s secret', basic('billing', 'r3p0rts:with:colons')],
    ['an unknown client', basic('nobody', 'billing-secret-1234')],
    ['a bearer token instead', bearer(session.access_token)],
    ['not base64', { authorization: 'Basic !!!' }],
    ['no colon', { authorization: `Basic ${Buffer.from('billing').toString('base64')}` }],
    ['a broken percent-escape', basic('billing%', 'billing-secret-1234')]
  ] as const) {
    const res = await introspect(app, session.access_token, headers)
    t.equal(res.statusCode, 401, name)
    t.equal(res.json().code, 'invalid_credentials', name)
    t.equal(res.headers['www-authenticate'], 'Basic realm="introspection"', name)
  }
  t.equal((await introspect(app, session.access_token, basic('reports', 'r3p0rts:with:colons'))).json().active, true, 'a secret may hold colons')
  t.equal((await introspect(app, session.access_token, basic('billing', 'billing-secret-1234'))).headers['cache-control'], 'no-store')
})

t.test('every token state: live tokens are active, everything else is { active: false }', async (t) => {
  const app = await build(t, CLIENTS)
  const user = await registerUser(app)
  const { session } = user
  const access = await introspect(app, session.access_token, undefined, 'access_token')
  t.equal(access.statusCode, 200)
  const claims = decodeJwt(session.access_token).payload
  t.strictSame(access.json(), {
    active: true,
    token_type: 'access_token',
    sub: session.user.id,
    sid: claims.sid,
    exp: claims.exp,
    iat: claims.iat,
    iss: TEST_ENV.JWT_ISSUER,
    aud: TEST_ENV.JWT_AUDIENCE,
    roles: ['user'],
    amr: ['pwd']
  })
  const refresh = await introspect(app, session.refresh_token ?? '', undefined, 'access_token')
  t.match(refresh.json(), { active: true, token_type: 'refresh_token', sub: session.user.id, sid: claims.sid, iss: TEST_ENV.JWT_ISSUER, exp: Number, iat: Number }, 'a wrong hint changes nothing')

  const inactive = async (token: string, name: string) => {
    const res = await introspect(app, token)
    t.equal(res.statusCode, 200, name)
    t.strictSame(res.json(), { active: false }, name)
  }
  const rotated = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: session.refresh_token } })
  await inactive(session.refresh_token ?? '', 'a rotated refresh token')
  const now = Math.floor(Date.now() / 1000)
  const header = { alg: 'HS256', typ: 'at+jwt' }
  await inactive(forgeJwt(header, { ...claims, jti: randomUUID(), iat: now - 1000, exp: now - 10 }, hmacSigner(TEST_JWT_SECRET)), 'an expired access token')
  await inactive(forgeJwt(header, { ...claims, jti: randomUUID() }, hmacSigner('another-secret-that-is-at-least-32-bytes')), 'a forged access token')
  await inactive('not-a-token', 'an unknown refresh token')
  await inactive('a.b.c', 'garbage')

  // Logged out: the access token still verifies locally by its signature; introspection sees the revocation.
  const live = rotated.json<{ access_token: string, refresh_token: string }>()
  t.equal((await introspect(app, live.access_token)).json().active, true)
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: bearer(live.access_token) })).statusCode, 204)
  await inactive(live.access_token, 'the access token of a logged-out session')
  await inactive(live.refresh_token, 'the refresh token of a logged-out session')

  const other = await registerUser(app)
  const admin = await createAdmin(app)
  const patched = await app.inject({ method: 'PATCH', url: `/api/v1/users/${other.session.user.id}`, headers: bearer(admin.session.access_token), payload: { is_active: false } })
  t.equal(patched.statusCode, 200)
  await inactive(other.session.access_token, 'the access token of a deactivated account')
  await inactive(other.session.refresh_token ?? '', 'the refresh token of a deactivated account')
})

t.test('hostile input is a 4xx or { active: false }, never a 500', async (t) => {
  const app = await build(t, CLIENTS)
  await fc.assert(fc.asyncProperty(fc.string({ unit: 'binary', minLength: 1, maxLength: 300 }), async (token) => {
    const res = await introspect(app, token)
    return res.statusCode === 400 || (res.statusCode === 200 && res.json().active === false)
  }), { numRuns: 60 })
  const json = await app.inject({ method: 'POST', url: '/api/v1/auth/introspect', headers: basic('billing', 'billing-secret-1234'), payload: { token: 'x' } })
  t.equal(json.statusCode, 415, 'a form body only')
  t.equal((await introspect(app, '')).statusCode, 400, 'an empty token')
})

t.test('RFC 8414 metadata document', async (t) => {
  const app = await build(t, CLIENTS)
  const res = await app.inject({ url: '/.well-known/oauth-authorization-server' })
  t.equal(res.statusCode, 200)
  t.equal(res.headers['x-ratelimit-limit'], undefined, 'not rate limited')
  t.strictSame(res.json(), {
    issuer: 'https://auth.test',
    token_endpoint: 'https://auth.test/api/v1/auth/token',
    jwks_uri: 'https://auth.test/.well-known/jwks.json',
    revocation_endpoint: 'https://auth.test/api/v1/auth/revoke',
    introspection_endpoint: 'https://auth.test/api/v1/auth/introspect',
    grant_types_supported: ['password', 'refresh_token'],
    token_endpoint_auth_methods_supported: ['none'],
    introspection_endpoint_auth_methods_supported: ['client_secret_basic'],
    response_types_supported: []
  })
  const named = await build(t, { JWT_ISSUER: 'auth-service' })
  const local = await named.inject({ url: '/.well-known/oauth-authorization-server', headers: { host: 'auth.example.com:8443' } })
  t.equal(local.json().token_endpoint, 'http://auth.example.com:8443/api/v1/auth/token', 'an issuer that is not a URL: the host asked')
  await t.rejects(build(t, { INTROSPECTION_CLIENTS: 'billing:ok,no-secret' }), /INTROSPECTION_CLIENTS must be name:secret pairs/)
})
