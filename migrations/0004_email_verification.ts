import { sql, type Kysely } from 'kysely'

export async function up (db: Kysely<any>): Promise<void> {
  // Null until the owner proves the address: every existing account starts unverified (README: bulk-verify them).
  await db.schema.alterTable('users')
    .addColumn('email_verified_at', 'timestamptz')
    .addColumn('pending_email', 'text')
    .execute()
  // Derived, so no write can make the flag and the timestamp disagree.
  await sql`alter table users add column email_verified boolean not null generated always as (email_verified_at is not null) stored`.execute(db)

  // One row per verification mail; the link's token and the code are kept only as hashes.
  await db.schema.createTable('email_verifications')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .execute()
  await db.schema.createIndex('email_verifications_user_idx').on('email_verifications').column('user_id').execute()
  // A code is looked up by the address it was sent to, among the mails still open.
  await sql`create index email_verifications_open_email_idx on email_verifications (email) where used_at is null`.execute(db)

  // Reset mails carry a code too, checked against the account's address; existing links keep working without one.
  await db.schema.alterTable('password_reset_tokens')
    .addColumn('code_hash', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .execute()
}

export async function down (): Promise<void> {
  throw new Error('migrations are forward-only')
}
