/** SQL of provider identities and of the accounts they sign in to. */
import { sql, type Transaction } from 'kysely'
import type { Database, Executor, IdentityRow } from './types.js'

/** An identity with the state of its account, as the sign-in policy needs it. */
export interface LinkedIdentity extends IdentityRow {
  is_active: boolean
  deleted: boolean
}

/** A live account found by email, with what the linking policy needs to know about it. */
export interface AccountByEmail {
  id: string
  is_active: boolean
  email_verified: boolean
}

export const IDENTITY_UNIQUE = 'identities_provider_subject_key'
export const EMAIL_UNIQUE = 'users_email_live_key'
export const USERNAME_UNIQUE = 'users_username_live_key'

/** The unique index a Postgres duplicate hit, if that is what `err` is. */
export function violatedConstraint (err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined
  const { code, constraint } = err as { code?: unknown, constraint?: unknown }
  return code === '23505' && typeof constraint === 'string' ? constraint : undefined
}

export async function findIdentity (db: Executor, provider: string, subject: string): Promise<LinkedIdentity | undefined> {
  return await db.selectFrom('identities')
    .innerJoin('users', 'users.id', 'identities.user_id')
    .selectAll('identities')
    .select(['users.is_active', sql<boolean>`users.deleted_at is not null`.as('deleted')])
    .where('identities.provider', '=', provider)
    .where('identities.subject', '=', subject)
    .executeTakeFirst()
}

export async function insertIdentity (db: Executor, identity: { provider: string, subject: string, userId: string, email: string | null }): Promise<IdentityRow> {
  return await db.insertInto('identities')
    .values({ provider: identity.provider, subject: identity.subject, user_id: identity.userId, email: identity.email })
    .returningAll()
    .executeTakeFirstOrThrow()
}

export async function deleteIdentity (db: Executor, id: string): Promise<void> {
  await db.deleteFrom('identities').where('id', '=', id).execute()
}

export async function listIdentitiesOf (db: Executor, userId: string): Promise<IdentityRow[]> {
  return await db.selectFrom('identities').selectAll().where('user_id', '=', userId).orderBy('created_at').orderBy('id').execute()
}

/** Deletes one identity of this user; undefined when the user has no identity with that id. */
export async function deleteOwnIdentity (db: Executor, userId: string, id: string): Promise<IdentityRow | undefined> {
  return await db.deleteFrom('identities').where('id', '=', id).where('user_id', '=', userId).returningAll().executeTakeFirst()
}

export async function findAccountByEmail (db: Executor, email: string): Promise<AccountByEmail | undefined> {
  return await db.selectFrom('users')
    // Linking an identity by its email rests on this flag: only an address the owner proved counts.
    .select(['id', 'is_active', 'email_verified'])
    .where(sql`lower(email)`, '=', email.toLowerCase())
    .where('deleted_at', 'is', null)
    .executeTakeFirst()
}

export async function usernameTaken (db: Executor, username: string): Promise<boolean> {
  const row = await db.selectFrom('users').select('id')
    .where(sql`lower(username)`, '=', username.toLowerCase())
    .where('deleted_at', 'is', null)
    .executeTakeFirst()
  return row !== undefined
}

/** An account with no password, its email (verified when the provider vouches for it), holding one role. */
export async function insertPasswordlessUser (trx: Transaction<Database>, account: { email: string, emailVerifiedAt: Date | null, username: string }, role: string): Promise<string> {
  const { id } = await trx.insertInto('users')
    .values({ email: account.email.toLowerCase(), email_verified_at: account.emailVerifiedAt, username: account.username, password_hash: null })
    .returning('id')
    .executeTakeFirstOrThrow()
  await trx.insertInto('user_roles').values({ user_id: id, role_name: role }).execute()
  return id
}
