import { sql, type Kysely } from 'kysely'

export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.createTable('signing_keys')
    .addColumn('kid', 'text', (c) => c.primaryKey())
    .addColumn('alg', 'text', (c) => c.notNull().check(sql`alg in ('EdDSA', 'ES256', 'RS256')`))
    .addColumn('public_jwk', 'jsonb', (c) => c.notNull())
    // Sealed with the secret box under JWT_KEY_ENCRYPTION_KEY, never stored in the clear.
    .addColumn('private_key', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('next', 'current', 'retired')`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('activated_at', 'timestamptz')
    .addColumn('retired_at', 'timestamptz')
    .execute()
  // At most one current and one next key, whatever two instances do at once.
  await sql`create unique index signing_keys_one_per_live_state on signing_keys (state) where state <> 'retired'`.execute(db)
}

export async function down (): Promise<void> {
  throw new Error('migrations are forward-only')
}
