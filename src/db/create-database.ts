/** Opens the database named by the config: embedded PGlite by default, a `pg` pool for `postgres://`. */
import { mkdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { Kysely, PGliteDialect, PostgresDialect, type LogConfig } from 'kysely'
import pg from 'pg'
import { PGlite } from '@electric-sql/pglite'
import type { Config } from '../config.js'
import { lockDataDir } from './data-dir-lock.js'
import type { Database } from './types.js'

export type DatabaseKind = 'postgres' | 'pglite' | 'pglite-memory'

export interface OpenDatabase {
  db: Kysely<Database>
  kind: DatabaseKind
  /** Closes the database and releases what opening it took. */
  close: () => Promise<void>
}

function closing (db: Kysely<Database>, release?: () => Promise<void>): () => Promise<void> {
  return async () => {
    await db.destroy()
    await release?.()
  }
}

export async function createDatabase (config: Config, onPoolError: (err: Error) => void, log?: LogConfig): Promise<OpenDatabase> {
  const url = config.DATABASE_URL
  if (url !== undefined && url.startsWith('postgres')) {
    const pool = new pg.Pool({ connectionString: url, max: config.DATABASE_POOL_SIZE, connectionTimeoutMillis: 5000 })
    // An idle client losing its server emits on the pool; unhandled, that would end the process.
    pool.on('error', onPoolError)
    // So does a checked-out client between two queries (the pool listens to idle clients only);
    // its next query then fails, and answers 503.
    pool.on('connect', (client) => { client.on('error', onPoolError) })
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), ...(log === undefined ? {} : { log }) })
    return { db, kind: 'postgres', close: closing(db) }
  }
  if (url === 'memory://') {
    const db = new Kysely<Database>({ dialect: new PGliteDialect({ pglite: new PGlite() }), ...(log === undefined ? {} : { log }) })
    return { db, kind: 'pglite-memory', close: closing(db) }
  }
  const dataDir = resolve(join(config.DATA_DIR, 'pglite'))
  await mkdir(dataDir, { recursive: true })
  const release = await lockDataDir(dataDir)
  const db = new Kysely<Database>({ dialect: new PGliteDialect({ pglite: new PGlite(dataDir) }), ...(log === undefined ? {} : { log }) })
  return { db, kind: 'pglite', close: closing(db, release) }
}
