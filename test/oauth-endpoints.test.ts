/**
 * The OAuth 2.0 endpoints as a real OAuth2 client library sees them: openid-client against the
 * listening service. Its token endpoint answers every error, whatever the status, as an RFC 6749
 * §5.2 JSON body the client can parse; revocation takes the RFC 7009 form.
 */
import t from 'tap'
import * as client from 'openid-client'
import type { App } from '../src/app.js'
import { errors } from '../src/errors.js'
import { oauthErrorOf } from '../routes/auth/oauth-errors.js'
import { bearer, build, registerUser, TEST_PASSWORD } from './helpers/app.js'

const FORM = { 'content-type': 'application/x-www-form-urlencoded' }

async function listening (app: App): Promise<client.Configuration> {
  const address = await app.listen({ host: '127.0.0.1', port: 0 })
  const config = new client.Configuration({
    issuer: address,
    token_endpoint: `${address}/api/v1/auth/token`,
    revocation_endpoint: `${address}/api/v1/auth/revoke`
  }, 'spa-web', undefined, client.None())
  client.allowInsecureRequests(config)
  return config
}

/** The RFC 6749 error openid-client parsed out of a failed request. */
async function oauthError (request: Promise<unknown>): Promise<client.ResponseBodyError> {
  const err = await request.then(() => undefined, (e: unknown) => e)
  if (!(err instanceof client.ResponseBodyError)) throw new Error(`not a parsed OAuth error: ${String(err)}`)
  return err
}

const tokenRequest = (app: App, payload: string, headers: Record<string, string> = FORM) =>
  app.inject({ method: 'POST', url: '/api/v1/auth/token', headers, payload })

t.test('openid-client reads every error of the token endpoint', async (t) => {
  const app = await build(t, { RATE_LIMIT_LOGIN_MAX: '3' })
  const config = await listening(app)
  const { username } = await registerUser(app)

  const tokens = await client.genericGrantRequest(config, 'password', { username, password: TEST_PASSWORD })
  t.equal(tokens.token_type, 'bearer')
  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token ?? '')
  t.ok(refreshed.access_token, 'the refresh grant works')

  const wrong = await oauthError(client.genericGrantRequest(config, 'password', { username, password: 'not the password' }))
  t.match(wrong, { status: 400, error: 'invalid_grant' })

  const limited = await oauthError(client.genericGrantRequest(config, 'password', { username, password: TEST_PASSWORD }))
  t.match(limited, { status: 429, error: 'rate_limited', error_description: /Retry in \d+ s/ })
  t.match(limited.response.headers.get('retry-after'), /^\d+$/, '429 keeps Retry-After')
  t.equal(limited.response.headers.get('x-ratelimit-remaining'), '0')
  t.equal(limited.response.headers.get('cache-control'), 'no-store')
})

t.test('the token endpoint: status kept, RFC 6749 body', async (t) => {
  const app = await build(t)
  const cases: Array<[string, Awaited<ReturnType<typeof tokenRequest>>, number, string]> = [
    ['a JSON body', await tokenRequest(app, '{"grant_type":"password"}', { 'content-type': 'application/json' }), 415, 'invalid_request'],
    ['a text body', await tokenRequest(app, 'grant_type=password', { 'content-type': 'text/plain' }), 415, 'invalid_request'],
    ['a body over the limit', await tokenRequest(app, `grant_type=password&username=a&password=${'x'.repeat(9000)}`), 413, 'invalid_request'],
    ['no grant_type', await tokenRequest(app, 'username=a&password=b'), 400, 'invalid_request'],
    ['an empty grant_type', await tokenRequest(app, 'grant_type=&username=a&password=b'), 400, 'invalid_request'],
    ['an unknown grant_type', await tokenRequest(app, 'grant_type=client_credentials'), 400, 'unsupported_grant_type'],
    ['a refresh grant without a token', await tokenRequest(app, 'grant_type=refresh_token'), 400, 'invalid_request'],
    ['an unknown refresh token', await tokenRequest(app, 'grant_type=refresh_token&refresh_token=nope'), 400, 'invalid_grant']
  ]
  for (const [name, res, status, error] of cases) {
    t.equal(res.statusCode, status, name)
    t.equal(res.headers['content-type'], 'application/json; charset=utf-8', `${name}: application/json`)
    t.strictSame(Object.keys(res.json()).sort(), ['error', 'error_description'], `${name}: the RFC 6749 members only`)
    t.equal(res.json().error, error, name)
    t.equal(res.headers['cache-control'], 'no-store', name)
  }
})

t.test('revocation takes the RFC 7009 form', async (t) => {
  const app = await build(t)
  const config = await listening(app)
  const { session } = await registerUser(app)
  const refreshToken = session.refresh_token ?? ''

  await client.tokenRevocation(config, refreshToken, { token_type_hint: 'refresh_token' })
  const me = await app.inject({ url: '/api/v1/users/me', headers: bearer(session.access_token) })
  t.equal(me.json().code, 'token_revoked', 'the session ended')

  const form = (payload: string) => app.inject({ method: 'POST', url: '/api/v1/auth/revoke', headers: FORM, payload })
  const again = await form(new URLSearchParams({ token: refreshToken, token_type_hint: 'refresh_token' }).toString())
  t.equal(again.statusCode, 200, 'an already revoked token: 200 too')
  t.equal(again.body, '', 'with an empty body')
  t.equal((await form('token=unknown&client_id=spa-web')).statusCode, 200, 'an unknown token and a client_id: 200')

  const missing = await form('token_type_hint=refresh_token')
  t.equal(missing.statusCode, 400)
  t.equal(missing.headers['content-type'], 'application/json; charset=utf-8')
  t.equal(missing.json().error, 'invalid_request', 'a form error is an RFC 6749 error')
  const empty = await form('token=')
  t.equal(empty.json().error, 'invalid_request')
  const tooLarge = await form(`token=${'x'.repeat(9000)}`)
  t.equal(tooLarge.statusCode, 413)
  t.equal(tooLarge.json().error, 'invalid_request')

  const { session: other } = await registerUser(app)
  const json = await app.inject({ method: 'POST', url: '/api/v1/auth/revoke', payload: { refresh_token: other.refresh_token } })
  t.equal(json.statusCode, 204, 'the JSON form keeps answering 204')
  const badJson = await app.inject({ method: 'POST', url: '/api/v1/auth/revoke', payload: { token: other.refresh_token } })
  t.equal(badJson.statusCode, 400)
  t.equal(badJson.json().code, 'validation_failed', 'JSON errors stay problems')
  t.equal(badJson.headers['content-type'], 'application/problem+json; charset=utf-8')
})

t.test('problems without an HTTP path here yet map as API.md says', async (t) => {
  t.match(oauthErrorOf(errors.mfaRequired('mfa-token', ['totp'])), { status: 403, body: { error: 'mfa_required', mfa_token: 'mfa-token', methods: ['totp'] } })
  t.match(oauthErrorOf(errors.unavailable('database')), { status: 503, headers: { 'retry-after': '5' }, body: { error: 'temporarily_unavailable' } })
  t.match(oauthErrorOf(new Error('a bug')), { status: 500, body: { error: 'server_error', error_description: 'Something went wrong on our side.' } })
})
