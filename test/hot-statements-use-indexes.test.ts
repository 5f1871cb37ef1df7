/**
 * Flat cost as data grows: on a database seeded with many accounts, every SQL statement the hot
 * flows run (register, login, refresh, profile, sessions, logout, reset, admin search) is planned
 * on an index, never by reading a whole large table.
 */
import t from 'tap'
import { Kysely, PostgresDialect, sql, type CompiledQuery } from 'kysely'
import pg from 'pg'
import { seed } from '../bench/seed.js'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import type { Database } from '../src/db/types.js'
import { createPasswordHasher } from '../src/services/password-hasher.js'
import { bearer, realDatabaseUrl, testEnv, TEST_PASSWORD } from './helpers/app.js'

const SEEDED_USERS = 20_000
// A whole-table read of a few pages is the planner's right choice; past this many rows it is the cost that grows with the data.
const LARGE_TABLE_ROWS = 1000

interface PlanNode { 'Node Type': string, 'Relation Name'?: string, 'One-Time Filter'?: string, Plans?: PlanNode[] }

function seqScans (node: PlanNode, large: Set<string>): string[] {
  // A branch behind a constant-false filter never runs (the statement's other shapes take it).
  if (node['One-Time Filter'] === 'false') return []
  const relation = node['Relation Name']
  const own = node['Node Type'] === 'Seq Scan' && relation !== undefined && large.has(relation) ? [relation] : []
  return [...own, ...(node.Plans ?? []).flatMap((child) => seqScans(child, large))]
}

t.test('every hot statement uses an index on a seeded database', { skip: realDatabaseUrl === undefined && 'needs PostgreSQL: set TEST_DATABASE_URL', timeout: 300_000 }, async (t) => {
  const env = await testEnv(t, { RATE_LIMIT_MAX: '100000' })
  const recorded: CompiledQuery[] = []
  let recording = false
  const pool = new pg.Pool({ connectionString: env.DATABASE_URL, max: 4 })
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool }),
    log: (event) => { if (recording && event.level === 'query') recorded.push(event.query) }
  })
  const app = await buildApp({ config: loadConfig(env), database: { db, kind: 'postgres', close: () => db.destroy() } })
  t.teardown(() => app.close())
  await app.ready()

  const hash = await createPasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 }, 1).hash(TEST_PASSWORD)
  await seed(db, hash, { users: SEEDED_USERS })
  const counted = await sql<{ n: string }>`select count(*) as n from refresh_tokens`.execute(db)
  t.ok(Number(counted.rows[0]?.n) >= SEEDED_USERS * 3, 'seeded with several refresh tokens per account')

  recording = true
  const post = (url: string, payload: object, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url, payload, headers: { 'x-auth-transport': 'body', ...headers } })
  const registered = await post('/api/v1/auth/register', { email: 'fresh@example.com', username: 'fresh', password: TEST_PASSWORD })
  t.equal(registered.statusCode, 201)
  const byName = await post('/api/v1/auth/login', { username: 'seed777', password: TEST_PASSWORD })
  t.equal(byName.statusCode, 200, 'a seeded account signs in')
  t.equal((await post('/api/v1/auth/login', { username: 'SEED778@example.com', password: TEST_PASSWORD })).statusCode, 200)
  t.equal((await post('/api/v1/auth/login', { username: 'nobody-at-all', password: TEST_PASSWORD })).statusCode, 401)
  const session = byName.json<{ access_token: string, refresh_token: string }>()
  const rotated = await post('/api/v1/auth/refresh', { refresh_token: session.refresh_token })
  t.equal(rotated.statusCode, 200)
  t.equal((await post('/api/v1/auth/refresh', { refresh_token: session.refresh_token })).statusCode, 200, 'a grace-period re-issue')
  const auth = bearer(rotated.json<{ access_token: string }>().access_token)
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: auth })).statusCode, 200)
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/users/me/sessions', headers: auth })).statusCode, 200)
  t.equal((await post('/api/v1/auth/forgot-password', { email: 'seed779@example.com' })).statusCode, 202)
  t.equal((await post('/api/v1/auth/logout', { scope: 'global' }, auth)).statusCode, 204)
  await app.background.idle()
  recording = false

  t.ok(recorded.length >= 10, `${recorded.length} statements recorded`)
  const sizes = await sql<{ relname: string }>`select relname from pg_class where relkind = 'r' and reltuples >= ${LARGE_TABLE_ROWS}`.execute(db)
  const large = new Set(sizes.rows.map((r) => r.relname))
  t.ok(['users', 'sessions', 'refresh_tokens', 'auth_events', 'user_roles'].every((table) => large.has(table)), 'the seeded tables count as large')
  const offenders: string[] = []
  // Transaction control (begin, commit) and locks have no plan to look at.
  for (const query of recorded.filter((q) => /^\s*(select|insert|update|delete|with)\b/i.test(q.sql))) {
    const explained = await pool.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(`explain (format json) ${query.sql}`, [...query.parameters])
    const plan = explained.rows[0]?.['QUERY PLAN'][0]?.Plan
    const scans = plan === undefined ? [] : seqScans(plan, large)
    if (scans.length > 0) offenders.push(`${scans.join(', ')}: ${query.sql.slice(0, 160)}`)
  }
  t.same(offenders, [], 'no statement reads a whole large table')
})
