/** Starts the built service as its own process, waits for readiness, stops it. */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { isAlive, track } from './processes.js'
import type { BenchConfig } from './config.js'

const READINESS_TIMEOUT_MS = 60_000
const STOP_GRACE_MS = 5_000
const UNLIMITED = '100000000'
const LOG_TAIL_LINES = 40

export interface ServerHandle {
  pid: number
  baseUrl: string
  logTail: () => string
  stop: () => Promise<void>
  /** The body of the first 200 from /health/readiness. */
  readinessReport: unknown
}

export async function freePort (): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', resolve)
  })
  const address = probe.address()
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error('could not pick a free port')
  return address.port
}

/** `secret`: HS256 with JWT_SECRET; `managed`: the EdDSA keys the service manages. */
export type BenchKeys = 'secret' | 'managed'

function serverEnv (config: BenchConfig, port: number, dataDir: string, keys: BenchKeys): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    NODE_ENV: 'production',
    JWT_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    RATE_LIMIT_MAX: UNLIMITED,
    RATE_LIMIT_REGISTER_MAX: UNLIMITED,
    RATE_LIMIT_LOGIN_MAX: UNLIMITED,
    RATE_LIMIT_REFRESH_MAX: UNLIMITED,
    LOGIN_THROTTLE_MAX: UNLIMITED
  }
  delete env.DATABASE_URL
  delete env.REDIS_URL
  delete env.JWT_SECRET
  delete env.JWT_ALGORITHM
  if (keys === 'secret') env.JWT_SECRET = randomBytes(36).toString('base64url')
  if (config.databaseUrl !== undefined) env.DATABASE_URL = config.databaseUrl
  else env.DATA_DIR = dataDir
  if (config.redisUrl !== undefined) env.REDIS_URL = config.redisUrl
  return env
}

function keepLogTail (child: ChildProcess): () => string {
  const lines: string[] = []
  const collect = (chunk: Buffer): void => {
    lines.push(...chunk.toString('utf8').split('\n').filter((l) => l.length > 0))
    lines.splice(0, Math.max(0, lines.length - LOG_TAIL_LINES))
  }
  child.stdout?.on('data', collect)
  child.stderr?.on('data', collect)
  return () => lines.join('\n')
}

/** The readiness body when it answered 200, else undefined. */
async function readiness (baseUrl: string): Promise<unknown> {
  try {
    const res = await fetch(`${baseUrl}/health/readiness`, { signal: AbortSignal.timeout(2_000) })
    const text = await res.text()
    if (res.status !== 200) return undefined
    try {
      return JSON.parse(text)
    } catch {
      return text
    }
  } catch {
    return undefined
  }
}

async function waitUntilReady (child: ChildProcess, baseUrl: string, logTail: () => string): Promise<unknown> {
  const deadline = Date.now() + READINESS_TIMEOUT_MS
  while (Date.now() < deadline) {
    if (!isAlive(child)) {
      throw new Error(`server exited (${child.signalCode ?? `code ${child.exitCode}`}) before it was ready:\n${logTail()}`)
    }
    const report = await readiness(baseUrl)
    if (report !== undefined) return report
    await sleep(200)
  }
  throw new Error(`GET /health/readiness did not answer 200 within ${READINESS_TIMEOUT_MS / 1000} s:\n${logTail()}`)
}

async function stopChild (child: ChildProcess): Promise<void> {
  if (!isAlive(child)) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS)
  await exited
  clearTimeout(timer)
}

/** `workDir` is the server's cwd (so no stray .env is read) and, when embedded, holds its data. */
export async function startServer (config: BenchConfig, workDir: string, keys: BenchKeys = 'secret'): Promise<ServerHandle> {
  if (!existsSync(config.serverEntry)) throw new Error(`${config.serverEntry} not found: run \`npm run build\` first`)
  const port = await freePort()
  const child = track(spawn(process.execPath, [config.serverEntry], {
    cwd: workDir,
    env: serverEnv(config, port, workDir, keys),
    stdio: ['ignore', 'pipe', 'pipe']
  }))
  if (child.pid === undefined) throw new Error(`could not start ${config.serverEntry}`)
  const logTail = keepLogTail(child)
  const baseUrl = `http://127.0.0.1:${port}`
  const stop = async (): Promise<void> => await stopChild(child)
  try {
    const readinessReport = await waitUntilReady(child, baseUrl, logTail)
    return { pid: child.pid, baseUrl, logTail, stop, readinessReport }
  } catch (err) {
    await stop()
    throw err
  }
}

/** "database=pglite, redis=memory" from a readiness body shaped `{ checks: { name: { backend } } }`. */
export function reportedBackends (report: unknown): string | undefined {
  if (typeof report !== 'object' || report === null || !('checks' in report)) return undefined
  const { checks } = report
  if (typeof checks !== 'object' || checks === null) return undefined
  const parts = Object.entries(checks).flatMap(([name, check]: [string, unknown]) =>
    typeof check === 'object' && check !== null && 'backend' in check ? [`${name}=${String(check.backend)}`] : [])
  return parts.length > 0 ? parts.join(', ') : undefined
}
