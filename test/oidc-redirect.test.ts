import t from 'tap'
import { build, bearer } from './helpers/app.js'
import { APP_REDIRECT, browseToCallback, startIdentityProvider } from './helpers/identity-provider.js'
import { authorizeUrl, exchange, pkcePair } from './helpers/oauth-client.js'

t.test('the redirect flow signs a new user in through the provider', async (t) => {
  const idp = await startIdentityProvider(t)
  const app = await build(t, { OIDC_PROVIDERS: 'acme', ...idp.env('acme') })
  idp.loginAs('alice-sub', { email: 'Alice@Example.com', email_verified: true, name: 'Alice Liddell' })

  const providers = await app.inject({ url: '/api/v1/auth/providers' })
  t.strictSame(providers.json(), [{ name: 'acme', issuer: idp.issuer }])

  const { verifier, challenge } = pkcePair()
  const start = await app.inject({ url: authorizeUrl('acme', challenge) })
  t.equal(start.statusCode, 302, start.body)
  const toProvider = new URL(String(start.headers.location))
  t.equal(toProvider.origin, idp.issuer)
  t.equal(toProvider.searchParams.get('code_challenge_method'), 'S256')
  t.not(toProvider.searchParams.get('code_challenge'), challenge, 'the PKCE towards the provider is the service\'s own')
  t.ok(toProvider.searchParams.get('nonce'))

  const callback = await browseToCallback(toProvider.href)
  const back = await app.inject({ url: callback })
  t.equal(back.statusCode, 302, back.body)
  t.equal(back.headers['cache-control'], 'no-store')
  const toApp = new URL(String(back.headers.location))
  t.equal(toApp.origin + toApp.pathname, APP_REDIRECT)
  const code = toApp.searchParams.get('code')
  t.ok(code)

  const session = await exchange(app, code ?? '', verifier)
  t.equal(session.statusCode, 200, session.body)
  const body = session.json<{ access_token: string, user: { email: string, username: string } }>()
  t.equal(body.user.email, 'alice@example.com')
  t.equal(body.user.username, 'Alice_Liddell')
  const me = await app.inject({ url: '/api/v1/users/me', headers: bearer(body.access_token) })
  t.equal(me.statusCode, 200)
  const identities = await app.inject({ url: '/api/v1/users/me/identities', headers: bearer(body.access_token) })
  t.match(identities.json(), [{ provider: 'acme', subject: 'alice-sub', email: 'alice@example.com' }])

  t.equal((await exchange(app, code ?? '', verifier)).json().code, 'invalid_oauth_state', 'a login code works once')
  t.equal((await app.inject({ url: callback })).json().code, 'invalid_oauth_state', 'a state works once')
})
