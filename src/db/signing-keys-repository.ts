/** SQL of the `signing_keys` table. */
import { sql, type Kysely } from 'kysely'
import type { Database, Executor, NewSigningKey, SigningKeyRow } from './types.js'

export function createSigningKeyRepository (db: Executor) {
  return {
    /** Every stored key, the newest first. */
    async list (): Promise<SigningKeyRow[]> {
      return await db.selectFrom('signing_keys').selectAll().orderBy('created_at', 'desc').orderBy('kid').execute()
    },

    async insert (key: NewSigningKey): Promise<void> {
      await db.insertInto('signing_keys').values(key).execute()
    },

    async retire (kid: string, at: Date): Promise<void> {
      await db.updateTable('signing_keys').set({ state: 'retired', retired_at: at }).where('kid', '=', kid).execute()
    },

    async activate (kid: string, at: Date): Promise<void> {
      await db.updateTable('signing_keys').set({ state: 'current', activated_at: at }).where('kid', '=', kid).execute()
    },

    /** Deletes the retired keys retired before `cutoff`; answers their kids. */
    async deleteRetiredBefore (cutoff: Date): Promise<string[]> {
      const rows = await db.deleteFrom('signing_keys').where('state', '=', 'retired').where('retired_at', '<', cutoff).returning('kid').execute()
      return rows.map((r) => r.kid)
    }
  }
}

export type SigningKeyRepository = ReturnType<typeof createSigningKeyRepository>

/**
 * Runs `work` in a transaction that holds the table's write lock, so that of N instances starting,
 * rotating or cleaning up at once, each decides on what the one before it did.
 */
export async function withSigningKeysLocked<T> (db: Kysely<Database>, work: (keys: SigningKeyRepository) => Promise<T>): Promise<T> {
  return await db.transaction().execute(async (trx) => {
    await sql`lock table signing_keys in share row exclusive mode`.execute(trx)
    return await work(createSigningKeyRepository(trx))
  })
}
