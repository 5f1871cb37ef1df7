import t, { type Test } from 'tap'
import type { App } from '../src/app.js'
import { bearer, build, registerUser, TEST_PASSWORD, type SessionBody } from './helpers/app.js'

const me = (app: App, token: string) => app.inject({ url: '/api/v1/users/me', headers: bearer(token) })
const refresh = (app: App, token: string | undefined) =>
  app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: token } })

async function login (app: App, username: string): Promise<SessionBody> {
  const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password: TEST_PASSWORD } })
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`)
  return res.json<SessionBody>()
}

/** One user with three sessions (three devices). */
async function threeSessions (app: App) {
  const { session, username } = await registerUser(app)
  return { username, sessions: [session, await login(app, username), await login(app, username)] }
}

async function assertEnded (t: Test, app: App, session: SessionBody, message: string) {
  const access = await me(app, session.access_token)
  t.equal(access.statusCode, 401, `${message}: access token refused`)
  t.equal(access.json().code, 'token_revoked', `${message}: token_revoked`)
  t.match(access.headers['www-authenticate'], /error="invalid_token"/)
  const renewed = await refresh(app, session.refresh_token)
  t.equal(renewed.json().code, 'invalid_refresh_token', `${message}: refresh token dead`)
}

async function assertLive (t: Test, app: App, session: SessionBody, message: string) {
  t.equal((await me(app, session.access_token)).statusCode, 200, `${message}: access token works`)
}

t.test('logout and revoke', async (t) => {
  const app = await build(t)
  const logout = (token: string | undefined, payload?: object) => app.inject({
    method: 'POST',
    url: '/api/v1/auth/logout',
    ...(token === undefined ? {} : { headers: bearer(token) }),
    ...(payload === undefined ? {} : { payload })
  })

  t.test('scope local (the default) ends only this session, at once', async (t) => {
    const { sessions: [a, b, c] } = await threeSessions(app)
    if (a === undefined || b === undefined || c === undefined) throw new Error('three sessions expected')
    const res = await logout(a.access_token)
    t.equal(res.statusCode, 204)
    t.equal(res.body, '')
    await assertEnded(t, app, a, 'this session')
    await assertLive(t, app, b, 'second session')
    await assertLive(t, app, c, 'third session')

    const explicit = await logout(b.access_token, { scope: 'local' })
    t.equal(explicit.statusCode, 204)
    await assertEnded(t, app, b, 'explicit local')
    await assertLive(t, app, c, 'third session')
  })

  t.test('scope global ends every session of the user', async (t) => {
    const { sessions } = await threeSessions(app)
    const bystander = (await registerUser(app)).session
    t.equal((await logout(sessions[1]?.access_token, { scope: 'global' })).statusCode, 204)
    for (const [i, s] of sessions.entries()) await assertEnded(t, app, s, `session ${i}`)
    await assertLive(t, app, bystander, "another user's session")
  })

  t.test('scope others keeps only this session', async (t) => {
    const { sessions: [a, b, c] } = await threeSessions(app)
    if (a === undefined || b === undefined || c === undefined) throw new Error('three sessions expected')
    const res = await logout(b.access_token, { scope: 'others' })
    t.equal(res.statusCode, 204)
    t.notOk(res.headers['set-cookie'], 'this device keeps its refresh cookie')
    await assertEnded(t, app, a, 'first session')
    await assertEnded(t, app, c, 'third session')
    await assertLive(t, app, b, 'this session')
    t.equal((await refresh(app, b.refresh_token)).statusCode, 200)
  })

  t.test('an access token already logged out cannot log out again', async (t) => {
    const { session } = await registerUser(app)
    t.equal((await logout(session.access_token)).statusCode, 204)
    const again = await logout(session.access_token)
    t.equal(again.statusCode, 401)
    t.equal(again.json().code, 'token_revoked')
  })

  t.test('without an access token, by the refresh token in the body', async (t) => {
    const { sessions: [a, b] } = await threeSessions(app)
    if (a === undefined || b === undefined) throw new Error('sessions expected')
    const res = await logout(undefined, { refresh_token: a.refresh_token })
    t.equal(res.statusCode, 204)
    await assertEnded(t, app, a, 'the session of that refresh token')
    await assertLive(t, app, b, 'another session')

    const global = await logout(undefined, { refresh_token: b.refresh_token, scope: 'global' })
    t.equal(global.statusCode, 204)
    await assertEnded(t, app, b, 'global by refresh token')
  })

  t.test('by the refresh cookie, which needs X-Auth-Transport', async (t) => {
    const { session } = await registerUser(app)
    const cookie = `refresh_token=${session.refresh_token ?? ''}`

    const forged = await app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { cookie } })
    t.equal(forged.statusCode, 403, 'a cookie-only call without the header could come from another site')
    t.match(forged.json(), { code: 'forbidden' })
    await assertLive(t, app, session, 'after the refused call')

    const res = await app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { cookie, 'x-auth-transport': 'cookie' } })
    t.equal(res.statusCode, 204)
    const cleared = String(res.headers['set-cookie'])
    t.match(cleared, /^refresh_token=;/, 'the cookie is cleared')
    t.match(cleared, /Path=\/api\/v1\/auth/)
    t.match(cleared, /Expires=Thu, 01 Jan 1970/)
    await assertEnded(t, app, session, 'the session of the cookie')
  })

  t.test('nothing to identify the session is 401 with a Bearer challenge', async (t) => {
    const res = await logout(undefined)
    t.equal(res.statusCode, 401)
    t.match(res.json(), { code: 'invalid_token' })
    t.equal(res.headers['www-authenticate'], 'Bearer')
  })

  t.test('an unknown or already used refresh token logs nothing out and still answers 204', async (t) => {
    const { session } = await registerUser(app)
    t.equal((await logout(undefined, { refresh_token: 'not-a-token-we-issued' })).statusCode, 204)
    await assertLive(t, app, session, 'an unrelated session')
  })

  t.test('a bad scope is a validation failure', async (t) => {
    const { session } = await registerUser(app)
    const res = await logout(session.access_token, { scope: 'everyone' })
    t.equal(res.statusCode, 400)
    t.match(res.json(), { code: 'validation_failed', errors: [{ path: '/scope' }] })
    await assertLive(t, app, session, 'after a refused logout')
  })

  t.test('revoke ends the session of the refresh token', async (t) => {
    const { sessions: [a, b] } = await threeSessions(app)
    if (a === undefined || b === undefined) throw new Error('sessions expected')
    const res = await app.inject({ method: 'POST', url: '/api/v1/auth/revoke', payload: { refresh_token: a.refresh_token } })
    t.equal(res.statusCode, 204)
    t.equal(res.body, '')
    await assertEnded(t, app, a, 'revoked session')
    await assertLive(t, app, b, 'another session')
  })

  t.test('revoke answers 204 for unknown and already revoked tokens (RFC 7009)', async (t) => {
    const { session } = await registerUser(app)
    for (const token of ['unknown', session.refresh_token, session.refresh_token]) {
      const res = await app.inject({ method: 'POST', url: '/api/v1/auth/revoke', payload: { refresh_token: token } })
      t.equal(res.statusCode, 204)
    }
    await assertEnded(t, app, session, 'after revoking twice')
  })

  t.test('revoke by the cookie clears it; cookie-only needs X-Auth-Transport', async (t) => {
    const { session } = await registerUser(app)
    const cookie = `refresh_token=${session.refresh_token ?? ''}`
    const forged = await app.inject({ method: 'POST', url: '/api/v1/auth/revoke', headers: { cookie } })
    t.equal(forged.statusCode, 403)
    const res = await app.inject({ method: 'POST', url: '/api/v1/auth/revoke', headers: { cookie, 'x-auth-transport': 'cookie' } })
    t.equal(res.statusCode, 204)
    t.match(String(res.headers['set-cookie']), /^refresh_token=;/)
    await assertEnded(t, app, session, 'revoked by cookie')
  })

  t.test('revoke without a token is a validation failure', async (t) => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/auth/revoke', payload: {} })
    t.equal(res.statusCode, 400)
    t.match(res.json(), { code: 'validation_failed', errors: [{ path: '/refresh_token' }] })
  })
})

t.test('an authenticated request costs one revocation-store round trip and no database query once cached', async (t) => {
  const app = await build(t)
  const { session } = await registerUser(app)
  const calls: string[] = []
  const store = app.revocations as unknown as Record<string, unknown>
  for (const name of ['check', 'revokeSessions', 'revokeUserTokensBefore', 'bumpUserVersion', 'claimUserVersion', 'ping']) {
    const original = store[name] as (...args: unknown[]) => unknown
    store[name] = (...args: unknown[]) => { calls.push(name); return original(...args) }
  }
  // Every Redis command as it is written and as its reply arrives, to see the round trips.
  const wire: string[] = []
  if (app.revocations.kind === 'redis') {
    const redis = app.redis as unknown as { sendCommand: (command: { name: string, promise: Promise<unknown> }) => unknown }
    const send = redis.sendCommand.bind(redis)
    redis.sendCommand = (command) => {
      wire.push(`sent ${command.name}`)
      command.promise.then(() => wire.push(`replied ${command.name}`), () => undefined)
      return send(command)
    }
  }

  t.equal((await me(app, session.access_token)).statusCode, 200, 'warms the user cache')
  calls.length = 0
  wire.length = 0
  const res = await me(app, session.access_token)
  t.equal(res.statusCode, 200)
  t.strictSame(calls, ['check'], 'exactly one store call: the pipelined check')
  if (app.revocations.kind === 'redis') {
    const sent = wire.filter((e) => e.startsWith('sent'))
    t.equal(sent.filter((e) => e === 'sent mget').length, 1, 'one MGET for the session mark, the user mark and the version')
    t.equal(sent.length, 2, 'and one command for the rate limit')
    t.ok(wire.findIndex((e) => e.startsWith('replied')) >= 2, `both are in flight before any reply: one round trip (${wire.join(', ')})`)
  }

  // A row change the app was not told about proves the answer came from the cache, not a query.
  await app.db.updateTable('users').set({ email: 'changed-behind-its-back@example.com' }).where('id', '=', session.user.id).execute()
  t.equal((await me(app, session.access_token)).json().email, session.user.email, 'served from the in-process cache')
  await app.users.changed(session.user.id)
  t.equal((await me(app, session.access_token)).json().email, 'changed-behind-its-back@example.com', 'a version bump makes it stale')
})
