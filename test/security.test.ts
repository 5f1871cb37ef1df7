import t from 'tap'
import { loadConfig } from '../src/config.js'
import { build, registerUser, TEST_ENV, TEST_PASSWORD } from './helpers/app.js'

const SPA = 'https://app.example'
const EVIL = 'https://evil.example'

function cspOf (headers: Record<string, unknown>): Map<string, string> {
  const csp = String(headers['content-security-policy'] ?? '')
  return new Map(csp.split(';').map((d) => d.trim()).filter((d) => d !== '').map((d) => {
    const [name = '', ...values] = d.split(/\s+/)
    return [name, values.join(' ')]
  }))
}

t.test('hardening', async (t) => {
  const app = await build(t, { CORS_ORIGINS: `${SPA}, https://admin.example` })

  t.test('API answers carry the security headers and a CSP that allows nothing', async (t) => {
    for (const url of ['/', '/api/v1/users/me', '/no/such/route']) {
      const res = await app.inject({ url })
      t.equal(res.headers['x-content-type-options'], 'nosniff', url)
      t.equal(res.headers['x-frame-options'], 'SAMEORIGIN', url)
      t.equal(res.headers['referrer-policy'], 'no-referrer', url)
      t.match(res.headers['strict-transport-security'], /max-age=\d+/, url)
      const csp = cspOf(res.headers)
      t.equal(csp.get('default-src'), "'none'", url)
      t.equal(csp.get('frame-ancestors'), "'none'", url)
      t.equal(res.headers['x-powered-by'], undefined)
    }
  })

  t.test('the docs get a CSP that lets Swagger UI run from its own origin only', async (t) => {
    const page = await app.inject({ url: '/docs/' })
    t.equal(page.statusCode, 200)
    t.match(page.headers['content-type'], /text\/html/)
    const csp = cspOf(page.headers)
    t.equal(csp.get('script-src'), "'self'", 'no inline or foreign scripts')
    t.equal(csp.get('style-src'), "'self' 'unsafe-inline'")
    t.equal(csp.get('default-src'), "'self'")
    t.equal(csp.get('frame-ancestors'), "'none'")
    t.equal(page.headers['x-content-type-options'], 'nosniff', 'helmet still applies')
    const scripts = [...page.body.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1] ?? '')
    t.ok(scripts.length >= 3, 'every script is a file, none inline')
    t.notMatch(page.body, /<script>/)
    for (const src of scripts) {
      const res = await app.inject({ url: new URL(src, 'http://localhost/docs/').pathname })
      t.equal(res.statusCode, 200, src)
    }
    t.equal((await app.inject({ url: '/docs/json' })).statusCode, 200)
  })

  t.test('CORS answers only the configured origins, with credentials', async (t) => {
    const preflight = (origin: string) => app.inject({
      method: 'OPTIONS',
      url: '/api/v1/auth/refresh',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, x-auth-transport' }
    })
    const ok = await preflight(SPA)
    t.equal(ok.statusCode, 204)
    t.equal(ok.headers['access-control-allow-origin'], SPA)
    t.equal(ok.headers['access-control-allow-credentials'], 'true')
    t.match(String(ok.headers['access-control-allow-headers']).toLowerCase(), /x-auth-transport/)
    t.match(String(ok.headers['access-control-allow-headers']).toLowerCase(), /authorization/)
    t.equal((await preflight('https://admin.example')).headers['access-control-allow-origin'], 'https://admin.example')

    const denied = await preflight(EVIL)
    t.equal(denied.headers['access-control-allow-origin'], undefined, 'no CORS headers for another origin')
    t.equal(denied.headers['access-control-allow-credentials'], undefined)

    const simple = await app.inject({ url: '/', headers: { origin: EVIL } })
    t.equal(simple.statusCode, 200)
    t.equal(simple.headers['access-control-allow-origin'], undefined)
    const allowed = await app.inject({ url: '/', headers: { origin: SPA } })
    t.equal(allowed.headers['access-control-allow-origin'], SPA)
    t.match(String(allowed.headers['access-control-expose-headers']).toLowerCase(), /retry-after/)
  })

  t.test('JSON routes take JSON in UTF-8 only', async (t) => {
    const login = (contentType: string | undefined, payload: string) => app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: contentType === undefined ? {} : { 'content-type': contentType },
      payload
    })
    const json = JSON.stringify({ username: 'nobody', password: 'whatever it is' })
    for (const type of ['application/json', 'application/json; charset=utf-8', 'Application/JSON;charset="UTF-8"']) {
      const res = await login(type, json)
      t.equal(res.statusCode, 401, `${type} is parsed`)
    }
    for (const type of ['text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', 'application/jsonx', 'text/json', undefined]) {
      const res = await login(type, json)
      t.equal(res.statusCode, 415, `${type ?? 'no content type'} is refused`)
      t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
      t.equal(res.json().code, 'unsupported_media_type')
    }
    const poisoned = await login('application/json', '{"username":"a","password":"b","__proto__":{"admin":true}}')
    t.equal(poisoned.statusCode, 400, 'prototype poisoning is refused')
    t.equal(poisoned.json().code, 'validation_failed')
  })

  t.test('auth bodies are capped well below the global body limit', async (t) => {
    const padded = JSON.stringify({ username: 'nobody', password: 'x'.repeat(500), padding: ' '.repeat(9000) })
    t.ok(padded.length < app.config.BODY_LIMIT, 'under the global limit')
    for (const url of ['/api/v1/auth/login', '/api/v1/auth/register', '/api/v1/auth/refresh', '/api/v1/auth/logout', '/api/v1/auth/revoke']) {
      const res = await app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: padded })
      t.equal(res.statusCode, 413, url)
      t.equal(res.json().code, 'payload_too_large', url)
    }
    const form = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `grant_type=password&username=a&password=${'x'.repeat(9000)}`
    })
    t.equal(form.statusCode, 413)
    t.equal(form.json().error, 'invalid_request', 'the token endpoint answers in the RFC 6749 shape')
  })

  t.test('CSRF: a cross-site page cannot use the refresh cookie', async (t) => {
    const user = await registerUser(app)
    const logged = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'x-auth-transport': 'cookie' },
      payload: { username: user.username, password: TEST_PASSWORD }
    })
    const setCookie = String(logged.headers['set-cookie'])
    t.match(setCookie, /SameSite=Strict/i, 'the browser does not send the cookie cross-site')
    t.match(setCookie, /HttpOnly/i)
    const cookie = setCookie.split(';')[0] ?? ''

    // What a cross-site <form> can send: form-encoded or text/plain bodies, no custom header.
    for (const type of ['application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x']) {
      const res = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', headers: { cookie, 'content-type': type, origin: EVIL }, payload: 'a=b' })
      t.equal(res.statusCode, 415, `a ${type} form is refused`)
      t.equal(res.headers['set-cookie'], undefined, 'and rotates nothing')
    }
    const noBody = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', headers: { cookie, origin: EVIL } })
    t.equal(noBody.statusCode, 403, 'a bodiless post with the cookie alone is refused')
    t.equal(noBody.json().code, 'forbidden')
    const revoke = await app.inject({ method: 'POST', url: '/api/v1/auth/revoke', headers: { cookie } })
    t.equal(revoke.statusCode, 403, 'revoke by cookie alone is refused')

    const spa = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', headers: { cookie, 'x-auth-transport': 'cookie', origin: SPA } })
    t.equal(spa.statusCode, 200, 'the SPA, which may send X-Auth-Transport, refreshes')
    t.equal(spa.headers['access-control-allow-origin'], SPA)
  })
})

t.test('without CORS_ORIGINS no answer carries CORS headers', async (t) => {
  const app = await build(t)
  const res = await app.inject({ url: '/', headers: { origin: SPA } })
  t.equal(res.headers['access-control-allow-origin'], undefined)
  const preflight = await app.inject({ method: 'OPTIONS', url: '/api/v1/auth/login', headers: { origin: SPA, 'access-control-request-method': 'POST' } })
  t.equal(preflight.headers['access-control-allow-origin'], undefined)
  t.equal(preflight.statusCode, 404)
  t.equal(preflight.json().code, 'not_found')
})

t.test('CORS_ORIGINS=* is refused at start-up, since credentials are allowed', async (t) => {
  t.throws(() => loadConfig({ ...TEST_ENV, DATABASE_URL: 'memory://', CORS_ORIGINS: '*' }), /CORS_ORIGINS/)
})
