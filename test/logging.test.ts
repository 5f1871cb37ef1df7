import t from 'tap'
import { Writable } from 'node:stream'
import { buildApp, REDACTED_PATHS } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { bearer, testEnv } from './helpers/app.js'
import { restoredPglite } from './helpers/pglite-template.js'

class Capture extends Writable {
  readonly lines: string[] = []
  override _write (chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter((l) => l !== ''))
    done()
  }

  get text (): string { return this.lines.join('\n') }
}

t.test('secrets never reach the logs', async (t) => {
  const env = await testEnv(t, { LOG_LEVEL: 'trace' })
  const stream = new Capture()
  const database = env.DATABASE_URL === 'memory://' ? await restoredPglite() : undefined
  const app = await buildApp({
    config: loadConfig(env),
    logger: { level: 'trace', stream, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } },
    ...(database === undefined ? {} : { database })
  })
  t.teardown(() => app.close())
  await app.ready()

  const password = 'Secret-Passw0rd-That-Must-Not-Leak'
  const register = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/register',
    payload: { email: 'logged@example.com', username: 'logged_user', password }
  })
  t.equal(register.statusCode, 201)
  const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'logged_user', password } })
  t.equal(login.statusCode, 200)
  const failed = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'logged_user', password: `${password}-wrong` } })
  t.equal(failed.statusCode, 401)
  const session = login.json()
  const cookie = login.cookies.find((c) => c.name === 'refresh_token')?.value ?? ''

  const byBody = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: session.refresh_token } })
  t.equal(byBody.statusCode, 200)
  const byCookie = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', headers: { cookie: `refresh_token=${cookie}`, 'x-auth-transport': 'cookie' } })
  t.equal(byCookie.statusCode, 200)
  const me = await app.inject({ url: '/api/v1/users/me', headers: bearer(session.access_token) })
  t.equal(me.statusCode, 200)
  const form = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ grant_type: 'password', username: 'logged_user', password }).toString()
  })
  t.equal(form.statusCode, 200)

  // Whatever a future log line includes, the redaction paths cover the usual places of secrets.
  app.log.info({
    req: { headers: { authorization: `Bearer ${String(session.access_token)}`, cookie: `refresh_token=${cookie}` } },
    res: { headers: { 'set-cookie': `refresh_token=${cookie}; HttpOnly` } },
    body: { password, new_password: password, current_password: password, refresh_token: session.refresh_token, access_token: session.access_token, token: cookie }
  }, 'a careless log line')

  const logs = stream.text
  t.ok(stream.lines.length > 10, `logs were captured (${stream.lines.length} lines)`)
  t.match(logs, /"url":"\/api\/v1\/auth\/login"/, 'request logs are there')
  t.match(logs, /a careless log line/)
  const secrets: Record<string, string> = {
    password,
    'access token': String(session.access_token),
    'refresh token': String(session.refresh_token),
    'refresh cookie': cookie,
    'rotated refresh token': String(byBody.json().refresh_token),
    'token endpoint access token': String(form.json().access_token)
  }
  for (const [name, secret] of Object.entries(secrets)) {
    t.ok(secret.length > 20, `${name} is a real value`)
    t.notOk(logs.includes(secret), `the ${name} is not in the logs`)
  }
  const careless = JSON.parse(stream.lines.find((l) => l.includes('a careless log line')) ?? '{}')
  // Fastify's req/res serializers drop headers before redaction; the body fields are redacted by path.
  t.match(careless, {
    body: { password: '[redacted]', new_password: '[redacted]', current_password: '[redacted]', refresh_token: '[redacted]', access_token: '[redacted]', token: '[redacted]' }
  })
})
