import type { Kysely } from 'kysely'

// The new-sign-in notice asks which of an account's sessions, ended or not, used a user agent
// lately; the live-only partial index cannot answer that, and without this the question reads
// every session of every account.
export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('sessions_user_last_used_idx').on('sessions').columns(['user_id', 'last_used_at']).execute()
}

export async function down (): Promise<void> {
  throw new Error('migrations are forward-only')
}
