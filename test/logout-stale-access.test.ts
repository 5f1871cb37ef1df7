/**
 * API.md, refresh tokens: a logout whose access token no longer works (expired, most often, in an
 * SPA that was left open) but that carries the refresh token still ends that session and clears
 * the cookie, so a logout never leaves a working cookie behind.
 */
import t from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import type { App } from '../src/app.js'
import { bearer, build, registerUser, TEST_JWT_SECRET, TEST_PASSWORD } from './helpers/app.js'
import { decodeJwt, forgeJwt, hmacSigner } from './helpers/jwt-forge.js'

/** The same claims, expired a minute ago, signed with the right key: only `exp` is wrong. */
function expiredCopy (token: string): string {
  const { header, payload } = decodeJwt(token)
  const now = Math.floor(Date.now() / 1000)
  return forgeJwt(header, { ...payload, iat: now - 960, exp: now - 60 }, hmacSigner(TEST_JWT_SECRET))
}

async function cookieLogin (app: App, username: string) {
  const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { 'x-auth-transport': 'cookie' }, payload: { username, password: TEST_PASSWORD } })
  const cookie = res.cookies.find((c) => c.name === 'refresh_token')?.value ?? ''
  return { access: res.json<{ access_token: string }>().access_token, cookie }
}

const refreshByCookie = (app: App, cookie: string) => app.inject({
  method: 'POST',
  url: '/api/v1/auth/refresh',
  headers: { cookie: `refresh_token=${cookie}`, 'x-auth-transport': 'cookie' }
})

function clearsCookie (res: LightMyRequestResponse): boolean {
  const cleared = res.cookies.find((c) => c.name === 'refresh_token')
  return cleared !== undefined && cleared.value === '' && cleared.path === '/api/v1/auth'
}

t.test('a logout with a stale access token and the refresh token', async (t) => {
  const app = await build(t)
  const { username } = await registerUser(app)

  t.test('an expired access token and the cookie: the session ends, the cookie is cleared', async (t) => {
    const { access, cookie } = await cookieLogin(app, username)
    const stale = expiredCopy(access)
    t.equal((await app.inject({ url: '/api/v1/users/me', headers: bearer(stale) })).statusCode, 401, 'the access token is expired')

    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      headers: { ...bearer(stale), cookie: `refresh_token=${cookie}`, 'x-auth-transport': 'cookie' }
    })
    t.equal(res.statusCode, 204)
    t.ok(clearsCookie(res), 'the cookie is cleared')
    t.equal((await refreshByCookie(app, cookie)).statusCode, 401, 'the refresh token no longer works')
    t.equal((await app.inject({ url: '/api/v1/users/me', headers: bearer(access) })).json().code, 'token_revoked', 'nor the access token')
  })

  t.test('a malformed access token and the refresh token in the body', async (t) => {
    const { session } = await registerUser(app)
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      headers: { authorization: 'Bearer not.a.token' },
      payload: { refresh_token: session.refresh_token }
    })
    t.equal(res.statusCode, 204)
    t.equal((await app.inject({ url: '/api/v1/users/me', headers: bearer(session.access_token) })).json().code, 'token_revoked')
  })

  t.test('a stale access token alone is still 401 invalid_token with its challenge', async (t) => {
    const { access } = await cookieLogin(app, username)
    const res = await app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: bearer(expiredCopy(access)) })
    t.equal(res.statusCode, 401)
    t.equal(res.json().code, 'invalid_token')
    t.match(res.headers['www-authenticate'], /^Bearer error="invalid_token"/)
    t.equal((await app.inject({ url: '/api/v1/users/me', headers: bearer(access) })).statusCode, 200, 'nothing ended')
  })

  t.test('a valid access token still decides which session ends', async (t) => {
    const first = await cookieLogin(app, username)
    const second = await cookieLogin(app, username)
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      headers: { ...bearer(second.access), cookie: `refresh_token=${first.cookie}`, 'x-auth-transport': 'cookie' }
    })
    t.equal(res.statusCode, 204)
    t.equal((await app.inject({ url: '/api/v1/users/me', headers: bearer(second.access) })).json().code, 'token_revoked')
    t.equal((await app.inject({ url: '/api/v1/users/me', headers: bearer(first.access) })).statusCode, 200, 'the cookie\'s session lives')
  })
})
