/**
 * Several app instances on one database, as a deployment runs them, with one movable clock for
 * signing-key rotation. On PGlite they share one in-process database.
 */
import type { Test } from 'tap'
import { buildApp, type App } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import type { OpenDatabase } from '../../src/db/create-database.js'
import { testEnv } from './app.js'
import { restoredPglite } from './pglite-template.js'

/** Test env without JWT_SECRET: the service manages its keys. */
export const MANAGED_KEYS = { JWT_SECRET: '' }

export interface Clock {
  now: () => Date
  advance: (seconds: number) => void
}

export function movableClock (): Clock {
  let at = Date.now()
  return { now: () => new Date(at), advance: (seconds) => { at += seconds * 1000 } }
}

export interface Instances {
  env: Record<string, string>
  /** Builds one more instance on the same database (`env` overrides, say another encryption key). */
  start: (overrides?: Record<string, string>) => Promise<App>
}

export async function sharedDatabase (t: Test, overrides: Record<string, string>, clock: Clock): Promise<Instances> {
  const env = await testEnv(t, { ...MANAGED_KEYS, ...overrides })
  let shared: OpenDatabase | undefined
  if (env.DATABASE_URL === 'memory://') {
    const database = await restoredPglite()
    // Every instance would close the one database: it closes once, after them.
    shared = { ...database, close: async () => {} }
    t.teardown(() => database.close())
  }
  return {
    env,
    async start (more = {}) {
      const app = await buildApp({ config: loadConfig({ ...env, ...more }), now: clock.now, ...(shared === undefined ? {} : { database: shared }) })
      t.teardown(() => app.close())
      await app.ready()
      return app
    }
  }
}
