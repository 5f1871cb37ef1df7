import { sql, type Kysely } from 'kysely'

export async function up (db: Kysely<any>): Promise<void> {
  // RFC 8176 methods a session was started with; refresh carries them into every access token.
  // Every session so far began with a password. The default goes once filled, so no new insert can forget it.
  await db.schema.alterTable('sessions').addColumn('amr', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{pwd}'`)).execute()
  await db.schema.alterTable('sessions').alterColumn('amr', (c) => c.dropDefault()).execute()

  // One TOTP factor per account: pending until `confirmed_at`. The secret is sealed (AES-256-GCM),
  // never stored in clear; `last_used_step` refuses a code of a step already used.
  await db.schema.createTable('mfa_totp')
    .addColumn('user_id', 'uuid', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('secret_sealed', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('confirmed_at', 'timestamptz')
    .addColumn('last_used_step', 'bigint')
    .execute()

  // Only the SHA-256 of a recovery code is kept (80 random bits each, so a fast hash is enough).
  await db.schema.createTable('mfa_recovery_codes')
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('used_at', 'timestamptz')
    .addPrimaryKeyConstraint('mfa_recovery_codes_pkey', ['user_id', 'code_hash'])
    .execute()
}

export async function down (): Promise<void> {
  throw new Error('migrations are forward-only')
}
