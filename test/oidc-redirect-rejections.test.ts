import t from 'tap'
import { build } from './helpers/app.js'
import { APP_REDIRECT, browseToCallback, NATIVE_REDIRECT, startIdentityProvider } from './helpers/identity-provider.js'
import { authorizeUrl, exchange, pkcePair } from './helpers/oauth-client.js'

t.test('the redirect flow refuses what it must', async (t) => {
  const idp = await startIdentityProvider(t)
  const app = await build(t, {
    OIDC_PROVIDERS: 'acme,beta',
    ...idp.env('acme'),
    ...idp.env('beta')
  })
  idp.loginAs('flow-sub', { email: 'flow@example.com', email_verified: true })
  const problem = async (url: string, status: number, code: string, why: string) => {
    const res = await app.inject({ url })
    t.equal(res.statusCode, status, why)
    t.equal(res.json().code, code, why)
  }
  /** Authorize, then the provider, then the callback: where the service sends the browser back to. */
  const roundTrip = async (challenge: string, rewrite: (toProvider: URL) => void = () => {}, extra: Record<string, string> = {}) => {
    const start = await app.inject({ url: authorizeUrl('acme', challenge, extra) })
    const toProvider = new URL(String(start.headers.location))
    rewrite(toProvider)
    const back = await app.inject({ url: await browseToCallback(toProvider.href) })
    t.equal(back.statusCode, 302)
    return new URL(String(back.headers.location))
  }

  t.test('authorize', async (t) => {
    const { challenge } = pkcePair()
    await problem(authorizeUrl('acme', challenge, { redirect_uri: 'https://evil.example/callback' }), 400, 'invalid_redirect_uri', 'a URI not listed')
    await problem(authorizeUrl('acme', challenge, { redirect_uri: `${APP_REDIRECT}/more` }), 400, 'invalid_redirect_uri', 'a listed URI plus a path')
    await problem(authorizeUrl('acme', challenge, { redirect_uri: `${APP_REDIRECT}?next=x` }), 400, 'invalid_redirect_uri', 'a listed URI plus a query')
    await problem(authorizeUrl('acme', challenge, { code_challenge_method: 'plain' }), 400, 'validation_failed', 'plain PKCE')
    await problem(authorizeUrl('acme', 'short'), 400, 'validation_failed', 'not an S256 challenge')
    await problem(authorizeUrl('nope', challenge), 404, 'unknown_provider', 'an unknown provider')
    await problem(authorizeUrl('acme', challenge, { link_token: 'forged' }), 401, 'invalid_token', 'a forged link token')
    await problem(`${authorizeUrl('acme', challenge)}&prompt=none`, 400, 'validation_failed', 'an unknown parameter')
  })

  t.test('callback', async (t) => {
    await problem('/api/v1/auth/oauth/acme/callback?code=x', 400, 'invalid_oauth_state', 'no state')
    await problem('/api/v1/auth/oauth/acme/callback?code=x&state=forged', 400, 'invalid_oauth_state', 'an unknown state')
    const { challenge } = pkcePair()
    const start = await app.inject({ url: authorizeUrl('acme', challenge) })
    const state = new URL(String(start.headers.location)).searchParams.get('state') ?? ''
    await problem(`/api/v1/auth/oauth/beta/callback?code=x&state=${state}`, 400, 'invalid_oauth_state', 'the state of another provider')
    await problem(`/api/v1/auth/oauth/acme/callback?code=x&state=${state}`, 400, 'invalid_oauth_state', 'and it was spent by that try')

    const denied = await app.inject({ url: authorizeUrl('acme', challenge) })
    const deniedState = new URL(String(denied.headers.location)).searchParams.get('state') ?? ''
    const back = await app.inject({ url: `/api/v1/auth/oauth/acme/callback?error=access_denied&state=${deniedState}` })
    t.equal(new URL(String(back.headers.location)).searchParams.get('error'), 'provider_error', 'the user said no at the provider')
  })

  t.test('an ID token whose nonce is not the one sent goes back as invalid_id_token', async (t) => {
    const { challenge } = pkcePair()
    const back = await roundTrip(challenge, (url) => url.searchParams.set('nonce', 'a-nonce-the-service-never-made'))
    t.equal(back.searchParams.get('error'), 'invalid_id_token')
    t.equal(back.searchParams.get('code'), null)
  })

  t.test('a login code is bound to the app\'s verifier and spent by any try', async (t) => {
    const { verifier, challenge } = pkcePair()
    const code = (await roundTrip(challenge)).searchParams.get('code') ?? ''
    const wrong = await exchange(app, code, pkcePair().verifier)
    t.equal(wrong.statusCode, 400)
    t.equal(wrong.json().code, 'invalid_oauth_state')
    t.equal((await exchange(app, code, verifier)).statusCode, 400, 'the right verifier comes too late')
    t.equal((await exchange(app, 'never-issued', verifier)).json().code, 'invalid_oauth_state')
  })

  t.test('two exchanges of one code race: one wins', async (t) => {
    const { verifier, challenge } = pkcePair()
    const code = (await roundTrip(challenge)).searchParams.get('code') ?? ''
    const answers = await Promise.all([exchange(app, code, verifier), exchange(app, code, verifier)])
    t.strictSame(answers.map((a) => a.statusCode).sort(), [200, 400])
  })

  t.test('a native app\'s custom-scheme redirect and the cookie transport', async (t) => {
    const { verifier, challenge } = pkcePair()
    const back = await roundTrip(challenge, () => {}, { redirect_uri: NATIVE_REDIRECT })
    t.equal(`${back.protocol}${back.pathname}`, NATIVE_REDIRECT)
    const session = await exchange(app, back.searchParams.get('code') ?? '', verifier, { 'x-auth-transport': 'cookie' })
    t.equal(session.statusCode, 200)
    t.equal(session.json().refresh_token, undefined, 'SPA mode: the refresh token only in the cookie')
    t.match(String(session.headers['set-cookie']), /refresh_token=.*HttpOnly/)
  })
})
