/** Bench settings, all from the environment. */
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import type { Argon2Params } from './types.js'
import { projectRoot } from './paths.js'

export interface BenchConfig {
  durationSeconds: number
  connections: number
  loginConnections: number
  argon2Seconds: number
  argon2Concurrency: number
  argon2: Argon2Params
  serverEntry: string
  databaseUrl: string | undefined
  redisUrl: string | undefined
  meUsers: number
  loginUsers: number
  /** `--seed N`: accounts (with their sessions, refresh tokens and audit rows) added before the scenarios run. */
  seedUsers: number
}

/** `--seed N` on the command line (`npm run bench -- --seed 1000000`), 0 when absent. */
function seedArgument (argv: string[]): number {
  const at = argv.indexOf('--seed')
  if (at === -1) return 0
  const value = Number(argv[at + 1])
  if (!Number.isInteger(value) || value < 1) throw new Error(`--seed takes a number of accounts, got ${JSON.stringify(argv[at + 1])}`)
  return value
}

function positiveInt (name: string, fallback: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`)
  }
  return value
}

function optional (name: string): string | undefined {
  const raw = process.env[name]
  return raw === undefined || raw === '' ? undefined : raw
}

export function loadBenchConfig (): BenchConfig {
  return {
    durationSeconds: positiveInt('BENCH_DURATION', 10),
    connections: positiveInt('BENCH_CONNECTIONS', 50),
    // Login is bound by argon2 on a few cores: more connections only queue.
    loginConnections: positiveInt('BENCH_LOGIN_CONNECTIONS', 8),
    argon2Seconds: positiveInt('BENCH_ARGON2_SECONDS', 5),
    argon2Concurrency: availableParallelism(),
    // Same defaults and overrides as the service's own config.
    argon2: {
      memoryCost: positiveInt('ARGON2_MEMORY_KIB', 19456),
      timeCost: positiveInt('ARGON2_TIME_COST', 2),
      parallelism: positiveInt('ARGON2_PARALLELISM', 1)
    },
    serverEntry: optional('BENCH_SERVER_ENTRY') ?? join(projectRoot, 'dist', 'src', 'server.js'),
    databaseUrl: optional('BENCH_DATABASE_URL'),
    redisUrl: optional('BENCH_REDIS_URL'),
    meUsers: 20,
    loginUsers: 5,
    seedUsers: seedArgument(process.argv)
  }
}

export function backendLabel (config: BenchConfig): string {
  const db = config.databaseUrl === undefined ? 'embedded PGlite' : 'PostgreSQL'
  const stores = config.redisUrl === undefined ? 'in-process stores' : 'Redis'
  return `${db} + ${stores}`
}
