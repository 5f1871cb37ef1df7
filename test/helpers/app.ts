/**
 * Builds the real app for a test on a fresh database: in-memory PGlite by default, or a new
 * database on the server of `TEST_DATABASE_URL`; with `TEST_REDIS_URL`, Redis under a key prefix
 * of its own. Everything is torn down with the test.
 */
import { randomBytes } from 'node:crypto'
import type { Test } from 'tap'
import pg from 'pg'
import { Redis } from 'ioredis'
import { buildApp, type App } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { restoredPglite } from './pglite-template.js'

export const TEST_JWT_SECRET = 'test-secret-that-is-at-least-32-bytes-long!'
// A fixed test key, so that no test app writes a generated one into DATA_DIR.
export const TEST_KEY_ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64')
export const TEST_PASSWORD = 'correct horse battery staple'

export const realDatabaseUrl = process.env.TEST_DATABASE_URL
export const realRedisUrl = process.env.TEST_REDIS_URL

export const TEST_ENV: Record<string, string> = {
  NODE_ENV: 'test',
  LOG_LEVEL: 'silent',
  JWT_SECRET: TEST_JWT_SECRET,
  JWT_KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY,
  JWT_ISSUER: 'https://auth.test',
  JWT_AUDIENCE: 'test-clients',
  // Cheap hashes keep the suite fast; tests about the OWASP parameters set them back.
  ARGON2_MEMORY_KIB: '1024',
  ARGON2_TIME_COST: '1',
  RATE_LIMIT_MAX: '100000',
  RATE_LIMIT_REGISTER_MAX: '100000',
  RATE_LIMIT_LOGIN_MAX: '100000',
  RATE_LIMIT_REFRESH_MAX: '100000',
  RATE_LIMIT_FORGOT_MAX: '100000',
  LOGIN_THROTTLE_MAX: '100000',
  FORGOT_PASSWORD_EMAIL_MAX: '100000'
}

export function uniqueName (prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`
}

function withDatabase (url: string, database: string): string {
  const u = new URL(url)
  u.pathname = `/${database}`
  return u.toString()
}

/** A fresh, empty database on the real server; dropped at teardown. */
export async function freshDatabase (t: Test): Promise<string> {
  if (realDatabaseUrl === undefined) return 'memory://'
  const name = uniqueName('t')
  const admin = new pg.Client({ connectionString: realDatabaseUrl })
  await admin.connect()
  await admin.query(`create database ${name}`)
  await admin.end()
  t.teardown(async () => {
    const c = new pg.Client({ connectionString: realDatabaseUrl })
    await c.connect()
    await c.query(`drop database if exists ${name} with (force)`)
    await c.end()
  })
  return withDatabase(realDatabaseUrl, name)
}

/** Removes every Redis key under the prefix. */
async function clearRedisPrefix (url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 })
  await redis.connect()
  let cursor = '0'
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500)
    cursor = next
    if (found.length > 0) await redis.del(...found)
  } while (cursor !== '0')
  redis.disconnect()
}

export interface BuildResult {
  app: App
  env: Record<string, string>
}

/** The env a test app runs with: test defaults, a fresh database and Redis prefix, then the overrides. */
export async function testEnv (t: Test, overrides: Record<string, string> = {}): Promise<Record<string, string>> {
  const env: Record<string, string> = { ...TEST_ENV, DATABASE_URL: await freshDatabase(t) }
  if (realRedisUrl !== undefined) {
    const prefix = `${uniqueName('test')}:`
    env.REDIS_URL = realRedisUrl
    env.REDIS_KEY_PREFIX = prefix
    t.teardown(() => clearRedisPrefix(realRedisUrl, prefix))
  }
  return { ...env, ...overrides }
}

export async function build (t: Test, overrides: Record<string, string> = {}): Promise<App> {
  const env = await testEnv(t, overrides)
  const database = env.DATABASE_URL === 'memory://' ? await restoredPglite() : undefined
  const app = await buildApp({ config: loadConfig(env), ...(database === undefined ? {} : { database }) })
  t.teardown(() => app.close())
  await app.ready()
  return app
}

export interface SessionBody {
  access_token: string
  token_type: string
  expires_in: number
  refresh_token?: string
  refresh_expires_in: number
  user: { id: string, email: string, username: string, roles: string[], is_active: boolean, email_verified: boolean, pending_email: string | null, created_at: string, updated_at: string }
}

let counter = 0

/** Registers a fresh account and answers its session plus the credentials used. */
export async function registerUser (app: App, fields: { email?: string, username?: string, password?: string } = {}) {
  counter += 1
  const suffix = `${counter}${randomBytes(3).toString('hex')}`
  const credentials = {
    email: fields.email ?? `user${suffix}@example.com`,
    username: fields.username ?? `user${suffix}`,
    password: fields.password ?? TEST_PASSWORD
  }
  const res = await app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: credentials })
  if (res.statusCode !== 201) throw new Error(`register failed: ${res.statusCode} ${res.body}`)
  return { ...credentials, session: res.json<SessionBody>() }
}

export function bearer (token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` }
}
