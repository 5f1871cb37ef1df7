import t from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import type { App } from '../src/app.js'
import { hashOpaqueToken } from '../src/services/tokens.js'
import { bearer, build, realDatabaseUrl, registerUser, testClock, type SessionBody } from './helpers/app.js'
import { decodeJwt } from './helpers/jwt-forge.js'

const refresh = (app: App, token: string | undefined) =>
  app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: token } })
const me = (app: App, token: string) => app.inject({ url: '/api/v1/users/me', headers: bearer(token) })

async function sessionRows (app: App, userId: string) {
  return await app.db.selectFrom('sessions').selectAll().where('user_id', '=', userId).execute()
}

t.test('rotation within the default grace period', async (t) => {
  const app = await build(t)
  const { session } = await registerUser(app)
  const first = session.refresh_token ?? ''

  const rotated = await refresh(app, first)
  t.equal(rotated.statusCode, 200)
  const second = rotated.json<SessionBody>()
  t.match(second, { token_type: 'bearer', expires_in: 900, user: { id: session.user.id, email: session.user.email, roles: ['user'] } })
  t.type(second.refresh_token, 'string')
  t.not(second.refresh_token, first, 'every refresh returns a new refresh token')
  t.match(second.refresh_token, /^[A-Za-z0-9_-]{43,}$/, 'base64url of at least 256 bits')
  t.equal(decodeJwt(second.access_token).payload.sid, decodeJwt(session.access_token).payload.sid, 'same session (token family)')
  t.equal((await me(app, second.access_token)).statusCode, 200)

  t.test('the retired token within the grace period gives another fresh pair', async (t) => {
    const again = await refresh(app, first)
    t.equal(again.statusCode, 200)
    const third = again.json<SessionBody>()
    t.not(third.refresh_token, second.refresh_token)
    t.not(third.refresh_token, first)
    t.equal((await refresh(app, third.refresh_token)).statusCode, 200, 'the pair issued in grace is a working one')
    t.equal((await me(app, session.access_token)).statusCode, 200, 'a race inside the grace period ends nothing')
  })

  t.test('the database keeps only hashes of refresh tokens', async (t) => {
    const rows = await app.db.selectFrom('refresh_tokens').selectAll().execute()
    const dump = JSON.stringify(rows)
    t.notOk(dump.includes(first), 'the raw first token is nowhere in refresh_tokens')
    t.notOk(dump.includes(second.refresh_token ?? ''), 'nor the raw second one')
    t.ok(rows.some((r) => r.token_hash === hashOpaqueToken(first)), 'the SHA-256 of the token is the key')
    const child = rows.find((r) => r.token_hash === hashOpaqueToken(second.refresh_token ?? ''))
    t.equal(child?.parent_hash, hashOpaqueToken(first), 'the family is linked by hashes')
  })

  t.test('an unknown or malformed refresh token is invalid_refresh_token', async (t) => {
    for (const token of ['x', 'A'.repeat(43), 'é∂ƒ©˙∆˚¬…', '" OR 1=1 --']) {
      const res = await refresh(app, token)
      t.equal(res.statusCode, 401, token)
      t.match(res.json(), { status: 401, code: 'invalid_refresh_token' })
    }
  })

  t.test('no refresh token at all is 401 invalid_refresh_token', async (t) => {
    for (const payload of [undefined, {}]) {
      const res = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', ...(payload === undefined ? {} : { payload }) })
      t.equal(res.statusCode, 401)
      t.match(res.json(), { status: 401, code: 'invalid_refresh_token' })
    }
  })

  t.test('default lifetimes: 7 days sliding, 30 days absolute', async (t) => {
    t.ok(Math.abs(session.refresh_expires_in - 604800) <= 2, `refresh_expires_in ${session.refresh_expires_in}`)
    const [row] = await sessionRows(app, session.user.id)
    const absolute = ((row?.expires_at.getTime() ?? 0) - Date.now()) / 1000
    t.ok(Math.abs(absolute - 2592000) <= 5, 'the session ends 30 days after it starts')
  })

  t.test('a deactivated user cannot refresh', async (t) => {
    const { session } = await registerUser(app)
    await app.db.updateTable('users').set({ is_active: false }).where('id', '=', session.user.id).execute()
    await app.users.changed(session.user.id)
    const res = await refresh(app, session.refresh_token)
    t.equal(res.statusCode, 401)
    t.equal(res.json().code, 'invalid_refresh_token')
  })
})

t.test('reuse after the grace period is theft: the whole session ends', async (t) => {
  const app = await build(t, { REFRESH_REUSE_GRACE_SECONDS: '0' })
  const { session } = await registerUser(app)
  const other = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: session.user.username, password: 'correct horse battery staple' } })
  t.equal(other.statusCode, 200)

  const first = session.refresh_token ?? ''
  const rotated = await refresh(app, first)
  t.equal(rotated.statusCode, 200)
  const newest = rotated.json<SessionBody>()
  const rotatedAgain = await refresh(app, newest.refresh_token)
  t.equal(rotatedAgain.statusCode, 200)
  const latest = rotatedAgain.json<SessionBody>()
  await sleep(5)

  const reused = await refresh(app, first)
  t.equal(reused.statusCode, 401)
  t.match(reused.json(), { status: 401, code: 'refresh_token_reused', title: String, detail: String, type: String })

  for (const access of [session.access_token, newest.access_token, latest.access_token]) {
    const res = await me(app, access)
    t.equal(res.statusCode, 401, 'every access token of the family is revoked at once')
    t.equal(res.json().code, 'token_revoked')
    t.match(res.headers['www-authenticate'], /error="invalid_token"/)
  }
  const newestRefresh = await refresh(app, latest.refresh_token)
  t.equal(newestRefresh.statusCode, 401)
  t.equal(newestRefresh.json().code, 'invalid_refresh_token', "the family's newest refresh token is dead too")
  t.equal((await refresh(app, first)).json().code, 'invalid_refresh_token', 'once revoked, the stolen token is merely invalid')

  const otherSession = other.json<SessionBody>()
  t.equal((await me(app, otherSession.access_token)).statusCode, 200, "the user's other session is untouched")
  t.equal((await refresh(app, otherSession.refresh_token)).statusCode, 200)

  const rows = await sessionRows(app, session.user.id)
  t.equal(rows.filter((r) => r.revoked_at !== null).length, 1, 'exactly the stolen family is revoked in the database')
})

t.test('one line of descent: a branch a grace re-issue left behind dies at the next rotation', async (t) => {
  const app = await build(t, { REFRESH_REUSE_GRACE_SECONDS: '1' })
  const { session } = await registerUser(app)
  const tabA = (await refresh(app, session.refresh_token)).json<SessionBody>()
  const tabB = await refresh(app, session.refresh_token)
  t.equal(tabB.statusCode, 200, 'the racing tab gets a pair of its own within the grace period')
  const branch = tabB.json<SessionBody>()

  const next = await refresh(app, tabA.refresh_token)
  t.equal(next.statusCode, 200, 'the grace re-issue retired nothing: the other tab still rotates')
  await sleep(1100)
  const late = await refresh(app, branch.refresh_token)
  t.equal(late.statusCode, 401, 'the abandoned branch was retired by that rotation')
  t.equal(late.json().code, 'refresh_token_reused', 'and its use after the grace period is reuse')
  t.equal((await me(app, next.json<SessionBody>().access_token)).json().code, 'token_revoked', 'which ends the session')
})

const raceBackend = realDatabaseUrl === undefined ? 'embedded PGlite' : 'PostgreSQL'

t.test(`two refreshes racing with one token never fork the family or fail (${raceBackend})`, async (t) => {
  const app = await build(t)

  for (let round = 0; round < 5; round++) {
    const { session } = await registerUser(app)
    const results = await Promise.all([refresh(app, session.refresh_token), refresh(app, session.refresh_token)])
    const statuses = results.map((r) => r.statusCode).sort()
    t.ok(statuses.every((s) => s === 200 || s === 401), `round ${round}: ${statuses.join(', ')}`)
    t.ok(statuses.includes(200), 'at least one wins')
    for (const res of results) {
      if (res.statusCode === 401) t.equal(res.json().code, 'refresh_token_reused')
    }
    const rows = await sessionRows(app, session.user.id)
    t.equal(rows.length, 1, 'exactly one session row (one family) for the user')
    const tokens = await app.db.selectFrom('refresh_tokens').select(['session_id', 'parent_hash', 'rotated_at'])
      .where('session_id', '=', rows[0]?.id ?? '').execute()
    const original = hashOpaqueToken(session.refresh_token ?? '')
    t.equal(tokens.filter((r) => r.parent_hash === original).length, results.filter((r) => r.statusCode === 200).length,
      'one child of the raced token per 200, all in the same family')
  }
})

t.test(`racing refreshes without a grace period stay 200 or 401, never 500 (${raceBackend})`, async (t) => {
  const app = await build(t, { REFRESH_REUSE_GRACE_SECONDS: '0' })
  for (let round = 0; round < 3; round++) {
    const { session } = await registerUser(app)
    const results = await Promise.all([1, 2, 3].map(() => refresh(app, session.refresh_token)))
    const statuses = results.map((r) => r.statusCode)
    t.ok(statuses.every((s) => s === 200 || s === 401), `round ${round}: ${statuses.join(', ')}`)
    t.ok(statuses.includes(200), 'one wins')
    t.equal((await sessionRows(app, session.user.id)).length, 1)
  }
})

t.test('refresh tokens expire: REFRESH_TOKEN_TTL, capped by SESSION_MAX_AGE', async (t) => {
  const clock = testClock()
  const [short, capped] = await Promise.all([
    build(t, { REFRESH_TOKEN_TTL: '1' }, { clock }),
    build(t, { SESSION_MAX_AGE: '1' }, { clock })
  ])
  const a = (await registerUser(short)).session
  const b = (await registerUser(capped)).session
  t.equal(a.refresh_expires_in <= 1, true, `refresh_expires_in follows REFRESH_TOKEN_TTL (${a.refresh_expires_in})`)
  t.equal(b.refresh_expires_in <= 1, true, `the absolute session lifetime caps the refresh token (${b.refresh_expires_in})`)

  // Sliding: a refresh in time gives a token that again lives REFRESH_TOKEN_TTL from now.
  const slid = await refresh(short, a.refresh_token)
  t.equal(slid.statusCode, 200)
  const slidSession = slid.json<SessionBody>()

  clock.advance(1.2)
  for (const [app, token, name] of [[short, slidSession.refresh_token, 'sliding expiry'], [capped, b.refresh_token, 'session max age']] as const) {
    const res = await refresh(app, token)
    t.equal(res.statusCode, 401, name)
    t.equal(res.json().code, 'invalid_refresh_token', name)
  }
})
