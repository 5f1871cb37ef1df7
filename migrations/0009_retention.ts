import { sql, type Kysely } from 'kysely'

// What the retention job looks for: rows that ended before a cutoff. Without these it would scan the
// token tables, the largest of the service, once per run.
export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('refresh_tokens_expires_idx').on('refresh_tokens').column('expires_at').execute()
  await db.schema.createIndex('sessions_expires_idx').on('sessions').column('expires_at').execute()
  await sql`create index sessions_revoked_idx on sessions (revoked_at) where revoked_at is not null`.execute(db)
  await db.schema.createIndex('password_reset_tokens_expires_idx').on('password_reset_tokens').column('expires_at').execute()
  await db.schema.createIndex('auth_events_created_idx').on('auth_events').column('created_at').execute()
}

export async function down (): Promise<void> {
  throw new Error('migrations are forward-only')
}
