/**
 * For the failure tests: private Redis and PostgreSQL servers on free ports, to kill and bring back;
 * a small bounded stream of requests to run meanwhile; an app whose log lines the test can read.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, readdirSync, rmSync } from 'node:fs'
import { chown, mkdtemp, rm } from 'node:fs/promises'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import type { Test } from 'tap'
import { buildApp, type App } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { bearer, testEnv } from './app.js'
import { restoredPglite } from './pglite-template.js'

const run = promisify(execFile)

export async function freePort (): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  server.close()
  await once(server, 'close')
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

async function waitForPort (port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ port, host: '127.0.0.1' })
      socket.once('connect', () => { socket.destroy(); resolve(true) })
      socket.once('error', () => resolve(false))
    })
    if (open) return
    await sleep(50)
  }
  throw new Error(`nothing listens on port ${port} after ${timeoutMs} ms`)
}

/** Polls `probe` until it holds, for at most `timeoutMs`; answers whether it ever held. */
export async function eventually (probe: () => Promise<boolean>, timeoutMs: number, intervalMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await probe()) return true
    await sleep(intervalMs)
  }
  return false
}

export interface RedisServer {
  readonly port: number
  readonly url: string
  /** SIGKILL: no goodbye to the clients, like a crash. */
  kill: () => Promise<void>
  /** A new, empty server on the same port. */
  start: () => Promise<void>
}

/** Why a private redis-server cannot run here, or undefined when it can. */
export function redisServerMissing (): string | undefined {
  const probe = spawnSync('redis-server', ['--version'], { stdio: 'ignore' })
  return probe.error === undefined && probe.status === 0 ? undefined : 'redis-server is not installed'
}

export async function startRedisServer (): Promise<RedisServer> {
  const port = await freePort()
  let child: ChildProcess | undefined
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
    await waitForPort(port, 10_000)
  }
  // Even when the test process dies early, no server outlives it.
  process.once('exit', () => { child?.kill('SIGKILL') })
  await start()
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    start,
    async kill () {
      const running = child
      child = undefined
      if (running === undefined || running.exitCode !== null) return
      const exited = once(running, 'exit')
      running.kill('SIGKILL')
      await exited
    }
  }
}

export interface PostgresCluster {
  readonly url: string
  /** `pg_ctl stop -m immediate`: every backend dies at once, as in a crash. */
  kill: () => Promise<void>
  start: () => Promise<void>
  destroy: () => Promise<void>
}

function postgresBinary (name: string): string | undefined {
  const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a)) : []
  for (const dir of [...versions.map((v) => `/usr/lib/postgresql/${v}/bin`), '/usr/local/bin', '/usr/bin']) {
    const path = join(dir, name)
    if (existsSync(path)) return path
  }
  return undefined
}

/** A fresh cluster in a temporary directory, or the reason it cannot be made here. */
export async function startPostgresCluster (): Promise<PostgresCluster | string> {
  const initdb = postgresBinary('initdb')
  const pgCtl = postgresBinary('pg_ctl')
  if (initdb === undefined || pgCtl === undefined) return 'initdb and pg_ctl are not installed'
  // PostgreSQL refuses to run as root: then the cluster belongs to the postgres account.
  let prefix: string[] = []
  let owner: { uid: number, gid: number } | undefined
  if (process.getuid?.() === 0) {
    const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' })
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' })
    if (uid.status !== 0 || gid.status !== 0) return 'running as root and there is no postgres account to run PostgreSQL as'
    if (spawnSync('runuser', ['--help'], { stdio: 'ignore' }).error !== undefined) return 'running as root without runuser'
    owner = { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) }
    prefix = ['runuser', '-u', 'postgres', '--']
  }
  const exec = async (command: string[]) => {
    const [file = '', ...args] = [...prefix, ...command]
    await run(file, args, { timeout: 60_000 })
  }

  const dir = await mkdtemp(join(tmpdir(), 'auth-service-pg-'))
  if (owner !== undefined) await chown(dir, owner.uid, owner.gid)
  const data = join(dir, 'data')
  const port = await freePort()
  await exec([initdb, '-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync'])
  const start = () => exec([pgCtl, '-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60',
    '-o', `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir} -c fsync=off -c full_page_writes=off`, 'start'])
  const kill = () => exec([pgCtl, '-D', data, '-m', 'immediate', '-w', 'stop'])
  // Even when the test process dies early, no server or data directory outlives it.
  process.once('exit', () => {
    const [file = '', ...args] = [...prefix, pgCtl, '-D', data, '-m', 'immediate', 'stop']
    if (existsSync(join(data, 'postmaster.pid'))) spawnSync(file, args, { stdio: 'ignore' })
    rmSync(dir, { recursive: true, force: true })
  })
  await start()
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    kill,
    async destroy () {
      await kill().catch(() => {})
      await rm(dir, { recursive: true, force: true })
    }
  }
}

export interface TrafficRequest {
  name: string
  send: () => Promise<{ statusCode: number }>
}

export interface Traffic {
  /** Stops the workers and answers the statuses seen, by request name. */
  stop: () => Promise<Map<string, number[]>>
}

/**
 * A few workers sending the requests in turn, with a pause between requests: enough to have
 * requests in flight when a server dies, without loading a shared machine.
 */
export function startTraffic (requests: TrafficRequest[], { workers = 3, pauseMs = 10, maxRequests = 5000 } = {}): Traffic {
  const seen = new Map<string, number[]>(requests.map((r) => [r.name, []]))
  const state = { stopped: false, sent: 0 }
  const worker = async (offset: number) => {
    for (let i = offset; !state.stopped && state.sent < maxRequests; i++) {
      const request = requests[i % requests.length]
      if (request === undefined) return
      state.sent += 1
      const res = await request.send()
      seen.get(request.name)?.push(res.statusCode)
      await sleep(pauseMs)
    }
  }
  const running = Promise.all(Array.from({ length: workers }, (_, i) => worker(i)))
  return {
    async stop () {
      state.stopped = true
      await running
      return seen
    }
  }
}

// Any unknown path: an anonymous request under the global rate limit (the /.well-known documents are not limited).
export const ANONYMOUS = '/api/v1/no-such-route'

/**
 * The requests both failure tests send: an authenticated read (needs the store), a rate-limited
 * anonymous request (needs neither), a login (needs the database) and readiness; `mix` is their traffic.
 */
export function probeRequests (app: App, user: { username: string, session: { access_token: string } }) {
  const me = () => app.inject({ url: '/api/v1/users/me', headers: bearer(user.session.access_token) })
  const login = (password: string) => app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: user.username, password } })
  const readiness = () => app.inject({ url: '/health/readiness' })
  const anonymous = () => app.inject({ url: ANONYMOUS })
  const mix: TrafficRequest[] = [
    { name: 'me', send: me },
    { name: 'anonymous', send: anonymous },
    { name: 'login', send: () => login('a wrong password') },
    { name: 'readiness', send: readiness }
  ]
  return { me, login, readiness, anonymous, mix }
}

export interface LogLine {
  level: number
  msg: string
}

/** Like `build`, with the warnings and errors the app logs kept for the test to read. */
export async function buildWithLogs (t: Test, overrides: Record<string, string>): Promise<{ app: App, logs: LogLine[] }> {
  const env = await testEnv(t, overrides)
  const database = env.DATABASE_URL === 'memory://' ? await restoredPglite() : undefined
  const logs: LogLine[] = []
  const stream = new Writable({
    write (chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') logs.push(JSON.parse(line) as LogLine)
      callback()
    }
  })
  const app = await buildApp({ config: loadConfig(env), logger: { level: 'warn', stream }, ...(database === undefined ? {} : { database }) })
  t.teardown(() => app.close())
  await app.ready()
  return { app, logs }
}
