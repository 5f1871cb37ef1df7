/** Opens the database named by the config: embedded PGlite by default, a `pg` pool for `postgres://`. */
import { mkdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { Kysely, PGliteDialect, PostgresDialect } from 'kysely'
import pg from 'pg'
import { PGlite } from '@electric-sql/pglite'
import type { Config } from '../config.js'
import type { Database } from './types.js'

export type DatabaseKind = 'postgres' | 'pglite' | 'pglite-memory'

export interface OpenDatabase {
  db: Kysely<Database>
  kind: DatabaseKind
}

export async function createDatabase (config: Config, onPoolError: (err: Error) => void): Promise<OpenDatabase> {
  const url = config.DATABASE_URL
  if (url !== undefined && url.startsWith('postgres')) {
    const pool = new pg.Pool({ connectionString: url, max: config.DATABASE_POOL_SIZE, connectionTimeoutMillis: 5000 })
    // An idle client losing its server emits on the pool; unhandled, that would end the process.
    pool.on('error', onPoolError)
    // So does a checked-out client between two queries (the pool listens to idle clients only);
    // its next query then fails, and answers 503.
    pool.on('connect', (client) => { client.on('error', onPoolError) })
    return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), kind: 'postgres' }
  }
  if (url === 'memory://') {
    return { db: new Kysely<Database>({ dialect: new PGliteDialect({ pglite: new PGlite() }) }), kind: 'pglite-memory' }
  }
  const dataDir = resolve(join(config.DATA_DIR, 'pglite'))
  await mkdir(dataDir, { recursive: true })
  return { db: new Kysely<Database>({ dialect: new PGliteDialect({ pglite: new PGlite(dataDir) }) }), kind: 'pglite' }
}
