import t, { type Test } from 'tap'
import { execFile } from 'node:child_process'
import { createServer, type Server, type Socket } from 'node:net'
import { join } from 'node:path'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { TEST_ENV } from './helpers/app.js'
import { restoredPglite } from './helpers/pglite-template.js'

/** A port that accepts connections and never says a word: a firewall black hole, or a hung server. */
async function silentPort (t: Test): Promise<number> {
  const sockets = new Set<Socket>()
  const server: Server = createServer((socket) => { sockets.add(socket) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    for (const socket of sockets) socket.destroy()
    server.close()
  })
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

/** A port nothing listens on. */
async function closedPort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

function startServer (env: Record<string, string>): Promise<{ code: number | null, stdout: string, stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      cwd: join(import.meta.dirname, '..'),
      env: { PATH: process.env.PATH ?? '', ...env },
      timeout: 60_000
    }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr })
    })
  })
}

const base = { ...TEST_ENV, DATABASE_URL: 'memory://', STARTUP_TIMEOUT: '1' }

t.test('an unreachable or silent Redis fails the start-up within STARTUP_TIMEOUT, naming REDIS_URL', async (t) => {
  for (const [what, port] of [['refusing', await closedPort()], ['silent', await silentPort(t)]] as const) {
    const database = await restoredPglite()
    // Timed from the moment the database is ready, when the store plugin starts connecting.
    let started = Date.now()
    const logger = { level: 'info', stream: { write: (line: string) => { if (line.includes('embedded PGlite')) started = Date.now() } } }
    await t.rejects(buildApp({ config: loadConfig({ ...base, REDIS_URL: `redis://:hunter2@127.0.0.1:${port}` }), database, logger }),
      { message: new RegExp(`^REDIS_URL: cannot reach redis://127\\.0\\.0\\.1:${port} within 1 s \\(.+\\)$`) }, what)
    t.ok(Date.now() - started < 3000, `${what}: bounded (${Date.now() - started} ms)`)
  }
})

t.test('an unreachable or silent PostgreSQL fails the start-up within STARTUP_TIMEOUT, naming DATABASE_URL', async (t) => {
  for (const [what, port] of [['refusing', await closedPort()], ['silent', await silentPort(t)]] as const) {
    const started = Date.now()
    const rejected = await buildApp({ config: loadConfig({ ...base, DATABASE_URL: `postgres://auth:hunter2@127.0.0.1:${port}/auth` }) })
      .then(() => undefined, (err: unknown) => err)
    t.match(rejected, { message: new RegExp(`^DATABASE_URL: cannot reach postgres://127\\.0\\.0\\.1:${port} within 1 s \\(.+\\)$`) }, what)
    t.notMatch(String((rejected as Error).message), /hunter2/, `${what}: the password is not in the message`)
    // The pool's own connection timeout (5 s) ends a half-open attempt while the failed start-up closes.
    t.ok(Date.now() - started < 8000, `${what}: bounded (${Date.now() - started} ms)`)
  }
})

t.test('the server prints one line per configuration problem and exits 1', async (t) => {
  const bad = await startServer({ ...base, COOKIE_SAMESITE: 'sometimes', PORT: 'abc' })
  t.equal(bad.code, 1)
  t.strictSame(bad.stderr.trim().split('\n').sort(), [
    'COOKIE_SAMESITE="sometimes" is not valid: use one of strict, lax, none',
    'PORT="abc" is not valid: must be integer'
  ], 'no stack trace')

  const unreachable = await startServer({ ...base, REDIS_URL: `redis://127.0.0.1:${await closedPort()}` })
  t.equal(unreachable.code, 1)
  t.match(unreachable.stderr.trim(), /^REDIS_URL: cannot reach redis:\/\/127\.0\.0\.1:\d+ within 1 s \([^\n]+\)$/)
})
