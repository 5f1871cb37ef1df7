import { Writable } from 'node:stream'
import t from 'tap'
import { buildApp, LOG_SERIALIZERS, REDACTED_PATHS } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { bearer, registerUser, testEnv } from './helpers/app.js'
import { restoredPglite } from './helpers/pglite-template.js'
import { browseToCallback, startIdentityProvider } from './helpers/identity-provider.js'
import { authorizeUrl, exchange, pkcePair } from './helpers/oauth-client.js'

t.test('the credentials of a provider sign-in never reach the logs', async (t) => {
  const idp = await startIdentityProvider(t)
  const env = await testEnv(t, { OIDC_PROVIDERS: 'acme', ...idp.env('acme') })
  const lines: string[] = []
  const stream = new Writable({ write (chunk: Buffer, _encoding, done) { lines.push(chunk.toString('utf8')); done() } })
  const database = env.DATABASE_URL === 'memory://' ? await restoredPglite() : undefined
  const app = await buildApp({
    config: loadConfig(env),
    logger: { level: 'info', stream, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, serializers: LOG_SERIALIZERS },
    ...(database === undefined ? {} : { database })
  })
  t.teardown(() => app.close())
  await app.ready()

  const user = await registerUser(app)
  const linkToken = (await app.inject({ method: 'POST', url: '/api/v1/users/me/identities/link-token', headers: bearer(user.session.access_token) })).json().link_token
  idp.loginAs('logged-sub', { email: 'logged@example.com', email_verified: true })
  const { verifier, challenge } = pkcePair()
  const start = await app.inject({ url: authorizeUrl('acme', challenge, { link_token: linkToken }) })
  const callback = await browseToCallback(String(start.headers.location))
  const back = await app.inject({ url: callback })
  const loginCode = new URL(String(back.headers.location)).searchParams.get('code') ?? ''
  t.equal((await exchange(app, loginCode, verifier)).statusCode, 200)

  const logs = lines.join('')
  t.match(logs, /"url":"\/api\/v1\/auth\/oauth\/acme\/callback\?code=\[redacted\]/, 'the callback is logged, its code masked')
  const query = new URL(callback, 'http://x').searchParams
  const secrets = { 'link token': linkToken, 'provider code': query.get('code') ?? '', state: query.get('state') ?? '', 'login code': loginCode }
  for (const [name, secret] of Object.entries(secrets)) {
    t.ok(secret.length > 20, `${name} is a real value`)
    t.notOk(logs.includes(secret), `the ${name} is not in the logs`)
  }
})
