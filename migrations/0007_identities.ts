import { sql, type Kysely } from 'kysely'

export async function up (db: Kysely<any>): Promise<void> {
  // An account made from a provider identity has no password until its owner sets one (forgot-password).
  await db.schema.alterTable('users').alterColumn('password_hash', (c) => c.dropNotNull()).execute()

  // One row per provider identity linked to an account. `subject` is the provider's stable `sub`;
  // `email` is what the provider asserted when it was linked, shown to the owner, never used to sign in.
  await db.schema.createTable('identities')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('email', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('identities_provider_subject_key', ['provider', 'subject'])
    .execute()
  await db.schema.createIndex('identities_user_idx').on('identities').column('user_id').execute()
}

export async function down (): Promise<void> {
  throw new Error('migrations are forward-only')
}
