/** SQL of provider identities and of the accounts they sign in to. */
import { sql, type Kysely, type Transaction } from 'kysely'
import type { Database, IdentityRow } from './types.js'

type Executor = Kysely<Database> | Transaction<Database>

/** An identity with the state of its account, as the sign-in policy needs it. */
export interface LinkedIdentity extends IdentityRow {
  is_active: boolean
  deleted: boolean
}

/** A live account found by email, with what the linking policy needs to know about it. */
export interface AccountByEmail {
  id: string
  email: string
  username: string
  is_active: boolean
  email_verified: boolean
}

export const DEFAULT_ROLE = 'user'

/**
 * The one place that says whether an account's email is verified; linking an identity by email
 * rests on it. Until email verification exists no local address counts as verified.
 */
const emailVerified = sql<boolean>`false`

/** Postgres says which unique index a duplicate hit. */
export function violatedConstraint (err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined
  const { code, constraint } = err as { code?: unknown, constraint?: unknown }
  return code === '23505' && typeof constraint === 'string' ? constraint : undefined
}

export const IDENTITY_UNIQUE = 'identities_provider_subject_key'
export const EMAIL_UNIQUE = 'users_email_live_key'
export const USERNAME_UNIQUE = 'users_username_live_key'

export function createIdentityRepository (db: Kysely<Database>) {
  return {
    async findBySubject (provider: string, subject: string, executor: Executor = db): Promise<LinkedIdentity | undefined> {
      return await executor.selectFrom('identities')
        .innerJoin('users', 'users.id', 'identities.user_id')
        .selectAll('identities')
        .select(['users.is_active', sql<boolean>`users.deleted_at is not null`.as('deleted')])
        .where('identities.provider', '=', provider)
        .where('identities.subject', '=', subject)
        .executeTakeFirst()
    },

    async insert (identity: { provider: string, subject: string, userId: string, email: string | null }, executor: Executor = db): Promise<IdentityRow> {
      return await executor.insertInto('identities')
        .values({ provider: identity.provider, subject: identity.subject, user_id: identity.userId, email: identity.email })
        .returningAll()
        .executeTakeFirstOrThrow()
    },

    async remove (id: string, executor: Executor = db): Promise<void> {
      await executor.deleteFrom('identities').where('id', '=', id).execute()
    },

    async listOf (userId: string, executor: Executor = db): Promise<IdentityRow[]> {
      return await executor.selectFrom('identities').selectAll().where('user_id', '=', userId).orderBy('created_at').orderBy('id').execute()
    },

    /** Deletes one identity of this user; false when the user has no identity with that id. */
    async removeOwn (userId: string, id: string, executor: Executor = db): Promise<IdentityRow | undefined> {
      return await executor.deleteFrom('identities').where('id', '=', id).where('user_id', '=', userId).returningAll().executeTakeFirst()
    },

    async findAccountByEmail (email: string, executor: Executor = db): Promise<AccountByEmail | undefined> {
      return await executor.selectFrom('users')
        .select(['id', 'email', 'username', 'is_active', emailVerified.as('email_verified')])
        .where(sql`lower(email)`, '=', email.toLowerCase())
        .where('deleted_at', 'is', null)
        .executeTakeFirst()
    },

    async usernameTaken (username: string, executor: Executor = db): Promise<boolean> {
      const row = await executor.selectFrom('users').select('id')
        .where(sql`lower(username)`, '=', username.toLowerCase())
        .where('deleted_at', 'is', null)
        .executeTakeFirst()
      return row !== undefined
    },

    /** An account with no password, its email as the provider gave it, and the default role. */
    async createAccount (account: { email: string, username: string }, executor: Transaction<Database>): Promise<string> {
      const { id } = await executor.insertInto('users')
        .values({ email: account.email.toLowerCase(), username: account.username, password_hash: null })
        .returning('id')
        .executeTakeFirstOrThrow()
      await executor.insertInto('user_roles').values({ user_id: id, role_name: DEFAULT_ROLE }).execute()
      return id
    }
  }
}

export type IdentityRepository = ReturnType<typeof createIdentityRepository>
