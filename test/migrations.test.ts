import t, { type Test } from 'tap'
import { execFile } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { sql } from 'kysely'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { freshDatabase, realDatabaseUrl, registerUser, TEST_ENV, TEST_PASSWORD } from './helpers/app.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const migrationNames = readdirSync(join(root, 'migrations'))
  .filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts'))
  .map((f) => f.replace(/\.(ts|js)$/, ''))
  .sort()

const run = promisify(execFile)

interface CliResult { code: number, stdout: string, stderr: string }

/** `npm run migrate` without the build step: the same entry point run from source. */
async function migrateCli (env: Record<string, string>, cwd: string): Promise<CliResult> {
  const tsx = import.meta.resolve('tsx')
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', tsx, join(root, 'src/cli/migrate.ts')], {
      cwd,
      env: { PATH: process.env.PATH ?? '', ...env },
      timeout: 90_000
    })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code?: number, stdout?: string, stderr?: string }
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }
  }
}

async function tempDir (t: Test, prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

t.test('several instances starting at once on one fresh PostgreSQL database', { skip: realDatabaseUrl === undefined ? 'needs TEST_DATABASE_URL (PGlite is one process)' : false }, async (t) => {
  const url = await freshDatabase(t)
  const config = loadConfig({ ...TEST_ENV, DATABASE_URL: url })
  const apps = await Promise.all([1, 2, 3].map(async () => {
    const app = await buildApp({ config })
    t.teardown(() => app.close())
    await app.ready()
    return app
  }))
  const [first, second] = apps
  if (first === undefined || second === undefined) throw new Error('apps expected')

  const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(first.db)
  t.strictSame(applied.rows.map((r) => r.name), migrationNames, 'each migration applied exactly once')
  const builtIn = await first.db.selectFrom('roles').select('name').where('built_in', '=', true).orderBy('name').execute()
  t.strictSame(builtIn.map((r) => r.name), ['admin', 'user'], 'seed rows inserted once')

  const { username } = await registerUser(first)
  const login = await second.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password: TEST_PASSWORD } })
  t.equal(login.statusCode, 200, 'every instance serves the same schema')
  for (const app of apps) t.equal((await app.inject({ url: '/health/startup' })).statusCode, 200)
})

t.test('the migrate command on PostgreSQL', { skip: realDatabaseUrl === undefined ? 'needs TEST_DATABASE_URL' : false }, async (t) => {
  const url = await freshDatabase(t)
  const cwd = await tempDir(t, 'auth-migrate-')
  const first = await migrateCli({ DATABASE_URL: url }, cwd)
  t.equal(first.code, 0, first.stderr)
  for (const name of migrationNames) t.match(first.stdout, `success: ${name}`)
  t.match(first.stdout, `postgres: ${migrationNames.length} migration(s) applied`)

  const again = await migrateCli({ DATABASE_URL: url }, cwd)
  t.equal(again.code, 0, again.stderr)
  t.match(again.stdout, 'postgres: already up to date')
})

t.test('the migrate command on the embedded PGlite in DATA_DIR', async (t) => {
  const dataDir = await tempDir(t, 'auth-migrate-data-')
  const first = await migrateCli({ DATA_DIR: dataDir }, dataDir)
  t.equal(first.code, 0, first.stderr)
  t.match(first.stdout, `pglite: ${migrationNames.length} migration(s) applied`)
  t.ok(readdirSync(join(dataDir, 'pglite')).includes('PG_VERSION'), 'the database lives in DATA_DIR/pglite')
})

t.test('the migrate command fails with a non-zero exit code when the database is unreachable', async (t) => {
  const cwd = await tempDir(t, 'auth-migrate-')
  const result = await migrateCli({ DATABASE_URL: 'postgres://nobody@127.0.0.1:1/nothing' }, cwd)
  t.equal(result.code, 1)
  t.match(result.stderr, 'migration failed')
})
