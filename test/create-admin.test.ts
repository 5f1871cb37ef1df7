import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { buildApp } from '../src/app.js'
import { createAdminCommand, EXIT_FAILED, EXIT_OK, EXIT_USAGE, USAGE } from '../src/cli/create-admin-command.js'
import { lockDataDir } from '../src/db/data-dir-lock.js'
import { loadConfig } from '../src/config.js'
import { login } from './helpers/admin.js'
import { bearer, realDatabaseUrl, registerUser, TEST_ENV, TEST_PASSWORD, testEnv } from './helpers/app.js'

const PASSWORD = 'a long and unusual passphrase'

/** What the command needs: cheap hashes, quiet, and the database (and Redis) under test. */
const baseEnv = { NODE_ENV: 'test', LOG_LEVEL: 'silent', ARGON2_MEMORY_KIB: '1024', ARGON2_TIME_COST: '1' }

async function run (args: string[], env: Record<string, string> = baseEnv) {
  const out = { stdout: [] as string[], stderr: [] as string[] }
  const code = await createAdminCommand(args, { env, out: { log: (m) => out.stdout.push(m), error: (m) => out.stderr.push(m) } })
  return { code, stdout: out.stdout.join('\n'), stderr: out.stderr.join('\n') }
}

/** The real entry point, as `npm run create-admin` starts it. */
function spawnCli (args: string[], env: Record<string, string>): Promise<{ code: number | null, stdout: string, stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli/create-admin.ts', ...args], {
      cwd: join(import.meta.dirname, '..'),
      env: { PATH: process.env.PATH ?? '', ...env },
      timeout: 60_000
    }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr })
    })
  })
}

t.test('bad input is refused with a clear message and exit code 2, before any database is opened', async (t) => {
  // An unreachable database proves that nothing is opened for these.
  const env = { ...baseEnv, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' }
  const cases: Array<[string[], string]> = [
    [[], '--email is required.'],
    [['--username', 'root', '--password', PASSWORD], '--email is required.'],
    [['--email', 'not-an-email', '--username', 'root', '--password', PASSWORD], '--email: "not-an-email" is not a valid email address.'],
    [['--email', 'root@example.com', '--username', 'r!', '--password', PASSWORD], '--username: 3-32 characters of A-Z a-z 0-9 _ . -'],
    [['--email', 'root@example.com', '--username', 'root', '--password', 'short'], '--password: The password must have at least 8 characters.'],
    [['--email', 'root@example.com', '--username', 'rootroot', '--password', 'ROOTROOT'], '--password: The password must not be the email or the username.'],
    [['--email', 'root@example.com', '--password', 'x'.repeat(600)], '--password: give 1-512 characters.'],
    [['--email', 'root@example.com', '--role', 'admin'], "Unknown option '--role'"],
    [['--email'], "Option '--email <value>' argument missing"],
    [['root@example.com'], 'Unexpected argument']
  ]
  for (const [args, message] of cases) {
    const res = await run(args, env)
    const label = args.join(' ').slice(0, 60)
    t.equal(res.code, EXIT_USAGE, label)
    t.match(res.stderr, message, label)
    t.match(res.stderr, 'Usage: npm run create-admin')
    t.equal(res.stdout, '')
  }
  const badConfig = await run(['--email', 'root@example.com'], { ...baseEnv, PASSWORD_MIN_LENGTH: 'many' })
  t.equal(badConfig.code, EXIT_USAGE)
  t.match(badConfig.stderr, 'PASSWORD_MIN_LENGTH')

  const help = await run(['--help'], env)
  t.equal(help.code, EXIT_OK)
  t.equal(help.stdout, USAGE)

  const spawned = await spawnCli(['--email', 'nope'], env)
  t.equal(spawned.code, EXIT_USAGE, 'the script exits with the code')
  t.match(spawned.stderr, '--email: "nope" is not a valid email address.')
})

/** Creates the first admin, then promotes an existing (deactivated) account, checking each through the API. */
async function lifecycle (t: Test, env: Record<string, string>): Promise<void> {
  const openApp = async () => {
    const app = await buildApp({ config: loadConfig({ ...TEST_ENV, ...env }) })
    await app.ready()
    return app
  }

  const created = await spawnCli(['--email', 'Root@Example.com', '--username', 'root', '--password', PASSWORD], env)
  t.equal(created.code, EXIT_OK, created.stderr)
  t.match(created.stdout, /^Created the admin root <root@example\.com> in the (postgres|pglite) database\.$/m)

  const again = await run(['--email', 'root@example.com'], env)
  t.equal(again.code, EXIT_OK)
  t.match(again.stdout, 'root <root@example.com> is already an admin.')

  let app = await openApp()
  let bobId: string
  try {
    const root = await login(app, 'root', PASSWORD)
    t.same(root.user.roles, ['admin', 'user'])
    t.equal((await app.inject({ url: '/api/v1/users', headers: bearer(root.access_token) })).statusCode, 200, 'the admin can use the admin API')
    const bob = await registerUser(app, { email: 'bob@example.com', username: 'bob' })
    bobId = bob.session.user.id
    const deactivated = await app.inject({ method: 'PATCH', url: `/api/v1/users/${bobId}`, headers: bearer(root.access_token), payload: { is_active: false } })
    t.equal(deactivated.statusCode, 200)
  } finally {
    await app.close()
  }

  const promoted = await run(['--email', 'BOB@example.com', '--username', 'ignored', '--password', PASSWORD], env)
  t.equal(promoted.code, EXIT_OK, promoted.stderr)
  t.match(promoted.stdout, 'Gave the admin role to the existing account bob <bob@example.com>, and reactivated it.')
  t.match(promoted.stdout, 'The account keeps its username and password')
  t.match(promoted.stdout, 'Its roles: admin, user.')

  const taken = await run(['--email', 'other@example.com', '--username', 'ROOT', '--password', PASSWORD], env)
  t.equal(taken.code, EXIT_FAILED)
  t.equal(taken.stderr, 'create-admin: This username is already taken.')

  const missing = await run(['--email', 'nobody@example.com', '--username', 'nobody'], env)
  t.equal(missing.code, EXIT_USAGE)
  t.match(missing.stderr, 'create-admin: no account has the email nobody@example.com; give --username and --password to create one.')

  app = await openApp()
  try {
    const bob = await login(app, 'bob', TEST_PASSWORD)
    t.same(bob.user.roles, ['admin', 'user'])
    t.equal(bob.user.id, bobId)
    const list = await app.inject({ url: '/api/v1/users?q=other', headers: bearer(bob.access_token) })
    t.same(list.json().items, [], 'the failed run created nothing')
  } finally {
    await app.close()
  }
}

t.test('on the embedded database in DATA_DIR, with the server stopped', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'create-admin-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  await lifecycle(t, { ...baseEnv, DATA_DIR: dataDir })

  t.test('an unreachable Redis stops the command before anything changes', async (t) => {
    const res = await run(['--email', 'carol@example.com', '--username', 'carol', '--password', PASSWORD],
      { ...baseEnv, DATA_DIR: dataDir, REDIS_URL: 'redis://127.0.0.1:1' })
    t.equal(res.code, EXIT_FAILED)
    t.match(res.stderr, /^create-admin: cannot reach Redis \(Error: connect ECONNREFUSED 127\.0\.0\.1:1\); nothing was changed\.$/)
    const check = await run(['--email', 'carol@example.com'], { ...baseEnv, DATA_DIR: dataDir })
    t.equal(check.code, EXIT_USAGE, 'no account was created')
  })

  t.test('a data directory held by a running server is refused with a clear message', async (t) => {
    const release = await lockDataDir(join(dataDir, 'pglite'))
    t.teardown(release)
    const res = await run(['--email', 'carol@example.com', '--username', 'carol', '--password', PASSWORD], { ...baseEnv, DATA_DIR: dataDir })
    t.equal(res.code, EXIT_FAILED)
    t.match(res.stderr, /^create-admin: The embedded database in .* is in use by process \d+: stop it first, or set DATABASE_URL\.$/)
  })
})

t.test('on PostgreSQL', { skip: realDatabaseUrl === undefined ? 'TEST_DATABASE_URL is not set' : false }, async (t) => {
  // A fresh database, and a Redis key prefix of its own when TEST_REDIS_URL is set.
  const env = await testEnv(t, baseEnv)
  await lifecycle(t, env)

  t.test('a running server shows the new role at once', { skip: env.REDIS_URL === undefined ? 'TEST_REDIS_URL is not set' : false }, async (t) => {
    const app = await buildApp({ config: loadConfig({ ...TEST_ENV, ...env }) })
    t.teardown(() => app.close())
    await app.ready()
    const carol = await registerUser(app, { email: 'carol@example.com', username: 'carol' })
    const me = async () => (await app.inject({ url: '/api/v1/users/me', headers: bearer(carol.session.access_token) })).json().roles
    t.same(await me(), ['user'], 'now cached by the server')
    t.equal((await run(['--email', 'carol@example.com'], env)).code, EXIT_OK)
    t.same(await me(), ['admin', 'user'])
  })
})
