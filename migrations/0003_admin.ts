import { sql, type Kysely } from 'kysely'

export async function up (db: Kysely<any>): Promise<void> {
  // GET /users pages through live accounts newest first, by (created_at, id).
  await sql`create index users_live_created_idx on users (created_at desc, id desc) where deleted_at is null`.execute(db)
  // Its `q` is a case-insensitive prefix match; text_pattern_ops lets `like 'abc%'` use these whatever the collation.
  // Not partial: PostgreSQL keeps statistics on the expressions of full indexes only, and without them it
  // misjudges how selective a prefix is and scans the whole table in created_at order instead.
  await sql`create index users_email_prefix_idx on users (lower(email) text_pattern_ops)`.execute(db)
  await sql`create index users_username_prefix_idx on users (lower(username) text_pattern_ops)`.execute(db)
  // Who holds a role (deleting a role, counting admins); the primary key leads with user_id.
  await db.schema.createIndex('user_roles_role_idx').on('user_roles').column('role_name').execute()
}

export async function down (): Promise<void> {
  throw new Error('migrations are forward-only')
}
