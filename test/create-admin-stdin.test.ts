/** create-admin reads the password from standard input, so it is neither in the shell history nor in npm's echo. */
import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { buildApp } from '../src/app.js'
import { createAdminCommand, EXIT_OK, EXIT_USAGE } from '../src/cli/create-admin-command.js'
import { loadConfig } from '../src/config.js'
import { login } from './helpers/admin.js'
import { freshDatabase, TEST_ENV } from './helpers/app.js'

const PASSWORD = 'a long and unusual passphrase'
const baseEnv = { NODE_ENV: 'test', LOG_LEVEL: 'silent', ARGON2_MEMORY_KIB: '1024', ARGON2_TIME_COST: '1' }

async function run (args: string[], env: Record<string, string>, stdin?: string) {
  const lines: string[] = []
  const code = await createAdminCommand(args, {
    env,
    out: { log: (m) => lines.push(m), error: (m) => lines.push(m) },
    ...(stdin === undefined ? {} : { readStdin: async () => stdin })
  })
  return { code, output: lines.join('\n') }
}

t.test('--password-stdin: the admin logs in with the line read from standard input', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'create-admin-stdin-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const database = await freshDatabase(t)
  // The embedded database on disk when no PostgreSQL is under test, as a newcomer runs it.
  const env = { ...baseEnv, DATA_DIR: dataDir, DATABASE_URL: database === 'memory://' ? '' : database }

  const created = await run(['--email', 'root@example.com', '--username', 'root', '--password-stdin'], env, `${PASSWORD}\n`)
  t.equal(created.code, EXIT_OK, created.output)
  t.notMatch(created.output, PASSWORD, 'the password is not printed')

  const app = await buildApp({ config: loadConfig({ ...TEST_ENV, ...env }) })
  t.teardown(() => app.close())
  const root = await login(app, 'root', PASSWORD)
  t.same(root.user.roles, ['admin', 'user'], 'without the trailing newline')
})

t.test('--password-stdin refuses a second password and an empty line', async (t) => {
  const env = { ...baseEnv, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' }
  const both = await run(['--email', 'root@example.com', '--username', 'root', '--password', PASSWORD, '--password-stdin'], env, PASSWORD)
  t.equal(both.code, EXIT_USAGE)
  t.match(both.output, 'Give --password or --password-stdin, not both.')
  const empty = await run(['--email', 'root@example.com', '--username', 'root', '--password-stdin'], env, '\n')
  t.equal(empty.code, EXIT_USAGE)
  t.match(empty.output, '--password: give 1-512 characters.')
  const none = await run(['--email', 'root@example.com', '--username', 'root', '--password-stdin'], env)
  t.equal(none.code, EXIT_USAGE, 'no standard input to read')
})

t.test('npm run create-admin reads the real standard input', async (t) => {
  // An invalid email stops the command right after it read the password: no database is needed.
  const result = await new Promise<{ code: number | null, stderr: string }>((resolve) => {
    const child = execFile(process.execPath, ['--import', 'tsx', 'src/cli/create-admin.ts', '--email', 'nope', '--password-stdin'], {
      cwd: join(import.meta.dirname, '..'),
      env: { PATH: process.env.PATH ?? '', ...baseEnv },
      timeout: 60_000
    }, (err, _stdout, stderr) => resolve({ code: err === null ? 0 : (typeof err.code === 'number' ? err.code : null), stderr }))
    child.stdin?.end(`${PASSWORD}\n`)
  })
  t.equal(result.code, EXIT_USAGE)
  t.match(result.stderr, '--email: "nope" is not a valid email address.')
})
