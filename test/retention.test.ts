import t from 'tap'
import pg from 'pg'
import { createRetentionJob } from '../src/services/retention.js'
import { build, realDatabaseUrl, registerUser } from './helpers/app.js'

const HOUR_MS = 3_600_000
const DAY_MS = 24 * HOUR_MS
// Batches of two, so four tokens take more than one statement.
const settings = { endedRowsDays: 7, auditDays: 90, batchSize: 2 }

t.test('the retention job deletes what ended days ago, in batches, and keeps what is live', async (t) => {
  const app = await build(t)
  const { db } = app
  const live = await registerUser(app)
  const ended = await registerUser(app)
  // Three rotations: four tokens in the live session, three retired but kept for reuse detection.
  let refresh = live.session.refresh_token
  for (let i = 0; i < 3; i++) {
    const res = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: refresh } })
    refresh = res.json().refresh_token
  }
  await app.inject({ method: 'POST', url: '/api/v1/auth/logout', payload: { refresh_token: ended.session.refresh_token } })
  await app.inject({ method: 'POST', url: '/api/v1/auth/forgot-password', payload: { email: ended.email } })
  await app.background.idle()
  const count = async (table: 'sessions' | 'refresh_tokens' | 'password_reset_tokens' | 'auth_events') =>
    Number((await db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)
  const events = await count('auth_events')
  t.strictSame([await count('sessions'), await count('refresh_tokens'), await count('password_reset_tokens')], [2, 5, 1])
  t.ok(events >= 4, 'audit events to consider')

  // The clock is injected: each pass runs as if that much time had gone by.
  const passAt = (ms: number) => createRetentionJob(db, settings, () => Date.now() + ms).run()
  t.strictSame(await passAt(6 * DAY_MS), { refresh_tokens: 0, sessions: 0, reset_tokens: 0, audit_events: 0 }, 'nothing ended a week ago yet')
  t.strictSame(await passAt(7 * DAY_MS + HOUR_MS), { refresh_tokens: 0, sessions: 1, reset_tokens: 1, audit_events: 0 },
    'a week after: the logged-out session (its token with it) and the expired reset token')
  t.strictSame([await count('sessions'), await count('refresh_tokens')], [1, 4], 'the live session and all its tokens stay')
  const ok = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: refresh } })
  t.equal(ok.statusCode, 200, 'the live session still refreshes')

  t.strictSame(await passAt(14 * DAY_MS + HOUR_MS), { refresh_tokens: 5, sessions: 0, reset_tokens: 0, audit_events: 0 },
    'a week after the live tokens expired, they go, batch after batch')
  t.equal(await count('sessions'), 1, 'the session itself lasts until its absolute lifetime')
  t.strictSame(await passAt(91 * DAY_MS), { refresh_tokens: 0, sessions: 1, reset_tokens: 0, audit_events: events },
    'after AUDIT_RETENTION_DAYS the audit events go too, and the session past its absolute lifetime')
})

t.test('one instance runs it: a pass while another holds the lock does nothing', { skip: realDatabaseUrl === undefined ? 'needs TEST_DATABASE_URL (another connection to hold the lock)' : false }, async (t) => {
  const app = await build(t)
  const other = new pg.Client({ connectionString: app.config.DATABASE_URL })
  await other.connect()
  t.teardown(() => other.end())
  await other.query("select pg_advisory_lock(hashtext('auth-service:retention'))")
  t.equal(await app.retention.run(), undefined, 'skipped while another instance runs it')
  await other.query("select pg_advisory_unlock(hashtext('auth-service:retention'))")
  t.match(await app.retention.run(), { refresh_tokens: Number }, 'runs once the lock is free')
})

t.test('every instance schedules it, in the second half of RETENTION_INTERVAL, and closing stops it', async (t) => {
  const app = await build(t, { RETENTION_INTERVAL: '2' })
  let passes = 0
  const run = app.retention.run.bind(app.retention)
  app.retention.run = async () => { passes += 1; return await run() }
  await new Promise((resolve) => setTimeout(resolve, 2100))
  t.equal(passes, 1, 'one pass within the first interval')
  await app.close()
  const after = passes
  await new Promise((resolve) => setTimeout(resolve, 2100))
  t.equal(passes, after, 'none after close')
})
