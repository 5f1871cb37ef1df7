import t from 'tap'
import { build } from './helpers/app.js'
import { APP_REDIRECT, browseToCallback, closedPort, providerEnv, startGarbageProvider, startIdentityProvider } from './helpers/identity-provider.js'
import { authorizeUrl, exchange, idTokenSignIn, pkcePair } from './helpers/oauth-client.js'

t.test('a provider that is down disables its own sign-in only, and is discovered once it is up', async (t) => {
  const port = await closedPort()
  const down = `http://127.0.0.1:${port}`
  const app = await build(t, { OIDC_PROVIDERS: 'acme', OIDC_REFETCH_INTERVAL: '0', ...providerEnv('acme', down) })

  t.strictSame((await app.inject({ url: '/api/v1/auth/providers' })).json(), [{ name: 'acme', issuer: down }], 'still listed')
  const readiness = await app.inject({ url: '/health/readiness' })
  t.equal(readiness.statusCode, 200, 'the service stays ready')
  t.strictSame(readiness.json().checks.identity_providers, { status: 'degraded', unavailable: ['acme'] }, 'and says which provider is down')

  const { challenge } = pkcePair()
  const authorize = await app.inject({ url: authorizeUrl('acme', challenge) })
  t.equal(authorize.statusCode, 503)
  t.equal(authorize.json().code, 'unavailable')
  const native = await idTokenSignIn(app, 'acme', { id_token: 'a.b.c' })
  t.equal(native.statusCode, 503)
  t.equal((await app.inject({ url: '/api/v1/auth/login', method: 'POST', payload: { username: 'x', password: 'y' } })).statusCode, 401, 'password logins go on')

  const idp = await startIdentityProvider(t, 'acme', port)
  idp.accounts.set('late-sub', { email: 'late@example.com', email_verified: true })
  const signIn = await idTokenSignIn(app, 'acme', { id_token: await idp.idToken('late-sub') })
  t.equal(signIn.statusCode, 200, 'discovered again by the next request')
  // Readiness caches its dependency check for a second.
  await new Promise((resolve) => setTimeout(resolve, 1100))
  t.strictSame((await app.inject({ url: '/health/readiness' })).json().checks.identity_providers, { status: 'ok', unavailable: [] })
})

t.test('a provider that answers garbage is a 502 provider_error', async (t) => {
  const garbage = await startGarbageProvider(t)
  const app = await build(t, { OIDC_PROVIDERS: 'junk', ...providerEnv('junk', garbage.issuer) })

  const native = await idTokenSignIn(app, 'junk', { id_token: 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsifQ.eyJzdWIiOiJ4In0.c2ln' })
  t.equal(native.statusCode, 502, native.body)
  t.equal(native.json().code, 'provider_error')

  const { verifier, challenge } = pkcePair()
  const start = await app.inject({ url: authorizeUrl('junk', challenge) })
  t.equal(start.statusCode, 302)
  const state = new URL(String(start.headers.location)).searchParams.get('state') ?? ''
  const back = await app.inject({ url: `/api/v1/auth/oauth/junk/callback?code=abc&state=${encodeURIComponent(state)}` })
  t.equal(back.statusCode, 302)
  const location = new URL(String(back.headers.location))
  t.equal(location.origin + location.pathname, APP_REDIRECT)
  t.equal(location.searchParams.get('error'), 'provider_error', 'the app learns of it at its redirect URI')
  t.equal(location.searchParams.get('code'), null)
  t.equal((await exchange(app, 'abc', verifier)).json().code, 'invalid_oauth_state')
})

t.test('a provider that stops answering after discovery is a 503, and is asked again', async (t) => {
  const idp = await startIdentityProvider(t)
  const app = await build(t, { OIDC_PROVIDERS: 'acme', ...idp.env('acme') })
  idp.loginAs('gone-sub', { email: 'gone@example.com', email_verified: true })
  const { challenge } = pkcePair()
  const start = await app.inject({ url: authorizeUrl('acme', challenge) })
  const callback = await browseToCallback(String(start.headers.location))
  await idp.close()
  const back = await app.inject({ url: callback })
  t.equal(new URL(String(back.headers.location)).searchParams.get('error'), 'unavailable')
})
