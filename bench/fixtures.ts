/** Users and sessions the scenarios need, created through the public API. */
import { randomBytes } from 'node:crypto'
import { login, refresh, register, type NewUser, type Session } from './api.js'
import type { Credentials } from './types.js'

// Each call hashes or verifies with argon2: a few at a time keeps setup fast without a pile-up.
const SETUP_CONCURRENCY = 4

/** Unique per run, because a PostgreSQL database may keep users from earlier runs. */
const runId = randomBytes(4).toString('hex')

function newUser (group: string, index: number): NewUser {
  const username = `bench_${runId}_${group}${index}`
  return {
    username,
    email: `${username}@example.com`,
    password: `bench-${randomBytes(8).toString('hex')}`
  }
}

async function mapLimit<T, R> (items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++
      results[index] = await fn(items[index] as T)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}

export interface RegisteredUser {
  credentials: Credentials
  session: Session
}

export async function registerUsers (baseUrl: string, group: string, count: number): Promise<RegisteredUser[]> {
  const users = Array.from({ length: count }, (_, i) => newUser(group, i))
  return await mapLimit(users, SETUP_CONCURRENCY, async (user) => ({
    credentials: { username: user.username, password: user.password },
    session: await register(baseUrl, user)
  }))
}

/** `count` independent sessions (fresh logins, spread over `users`), one refresh chain each. */
export async function openSessions (baseUrl: string, users: readonly Credentials[], count: number): Promise<Session[]> {
  const picks = Array.from({ length: count }, (_, i) => users[i % users.length] as Credentials)
  return await mapLimit(picks, SETUP_CONCURRENCY, async (credentials) => await login(baseUrl, credentials))
}

/** A rotation must hand back a different refresh token, or the refresh scenario measures nothing useful. */
export async function assertRotation (baseUrl: string, session: Session): Promise<void> {
  const rotated = await refresh(baseUrl, session.refreshToken)
  if (rotated.refreshToken === session.refreshToken) {
    throw new Error('POST /api/v1/auth/refresh returned the same refresh token instead of a new one')
  }
}
