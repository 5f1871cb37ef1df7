/** The retention job's SQL: an advisory lock held on one connection, and deletes in small batches. */
import { sql, type Kysely, type Transaction } from 'kysely'
import type { Database } from './types.js'

type Executor = Kysely<Database> | Transaction<Database>

// One number for every instance of the service; Kysely's migrator locks under another.
const RETENTION_LOCK = sql`hashtext('auth-service:retention')`

export interface RetentionRows {
  /** Each deletes at most `limit` rows and answers how many it deleted. */
  deleteExpiredRefreshTokens: (before: Date, limit: number) => Promise<number>
  deleteEndedSessions: (before: Date, limit: number) => Promise<number>
  deleteEndedResetTokens: (before: Date, limit: number) => Promise<number>
  deleteAuditEvents: (before: Date, limit: number) => Promise<number>
}

function rowsOn (db: Executor): RetentionRows {
  return {
    async deleteExpiredRefreshTokens (before, limit) {
      const result = await db.deleteFrom('refresh_tokens')
        .where('token_hash', 'in', (eb) => eb.selectFrom('refresh_tokens').select('token_hash').where('expires_at', '<', before).limit(limit))
        .executeTakeFirst()
      return Number(result.numDeletedRows)
    },
    // A session's refresh tokens go with it (on delete cascade).
    async deleteEndedSessions (before, limit) {
      const result = await db.deleteFrom('sessions')
        .where('id', 'in', (eb) => eb.selectFrom('sessions').select('id')
          .where((w) => w.or([w('expires_at', '<', before), w('revoked_at', '<', before)])).limit(limit))
        .executeTakeFirst()
      return Number(result.numDeletedRows)
    },
    async deleteEndedResetTokens (before, limit) {
      const result = await db.deleteFrom('password_reset_tokens')
        .where('token_hash', 'in', (eb) => eb.selectFrom('password_reset_tokens').select('token_hash')
          .where((w) => w.or([w('expires_at', '<', before), w('used_at', '<', before)])).limit(limit))
        .executeTakeFirst()
      return Number(result.numDeletedRows)
    },
    async deleteAuditEvents (before, limit) {
      const result = await db.deleteFrom('auth_events')
        .where('id', 'in', (eb) => eb.selectFrom('auth_events').select('id').where('created_at', '<', before).limit(limit))
        .executeTakeFirst()
      return Number(result.numDeletedRows)
    }
  }
}

/**
 * Runs `work` on one connection while it holds the retention lock, or answers undefined at once
 * when another instance holds it. A session-level lock, so the batches can commit one by one.
 */
export async function withRetentionLock<T> (db: Kysely<Database>, work: (rows: RetentionRows) => Promise<T>): Promise<T | undefined> {
  return await db.connection().execute(async (connection) => {
    const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_lock(${RETENTION_LOCK}) as locked`.execute(connection)
    if (rows[0]?.locked !== true) return undefined
    try {
      return await work(rowsOn(connection))
    } finally {
      await sql`select pg_advisory_unlock(${RETENTION_LOCK})`.execute(connection)
    }
  })
}
