/** Reading and writing accounts; every change bumps the user's version so cached copies go stale. */
import { randomUUID } from 'node:crypto'
import { sql, type Kysely, type Transaction } from 'kysely'
import { LRUCache } from 'lru-cache'
import type { Database, UserRow } from '../db/types.js'
import { errors } from '../errors.js'
import type { RevocationStore } from '../stores/revocation-store.js'

export interface PublicUser {
  id: string
  email: string
  username: string
  roles: string[]
  is_active: boolean
  created_at: Date
  updated_at: Date
}

export type Executor = Kysely<Database> | Transaction<Database>

export const DEFAULT_ROLE = 'user'

const publicColumns = ['users.id', 'users.email', 'users.username', 'users.is_active', 'users.created_at', 'users.updated_at'] as const

export function rolesOf (userIdColumn: 'users.id') {
  return sql<string[]>`array(select ur.role_name from user_roles ur where ur.user_id = ${sql.ref(userIdColumn)} order by ur.role_name)`
}

/** Postgres unique violations name the index, which says which field collided. */
export function uniquenessError (err: unknown): Error | undefined {
  if (typeof err !== 'object' || err === null) return undefined
  const { code, constraint } = err as { code?: unknown, constraint?: unknown }
  if (code !== '23505') return undefined
  if (constraint === 'users_email_live_key') return errors.emailTaken()
  if (constraint === 'users_username_live_key') return errors.usernameTaken()
  return undefined
}

export interface UserServiceOptions {
  db: Kysely<Database>
  revocations: RevocationStore
  cacheSize: number
  /** How long a version mark lives in the store; a missing mark only costs one reload. */
  versionTtlSeconds: number
}

export function createUserService ({ db, revocations, cacheSize, versionTtlSeconds }: UserServiceOptions) {
  const cache = cacheSize > 0 ? new LRUCache<string, { version: string, user: PublicUser }>({ max: cacheSize }) : undefined

  async function findPublic (id: string, executor: Executor = db): Promise<PublicUser | undefined> {
    return await executor.selectFrom('users')
      .select([...publicColumns, rolesOf('users.id').as('roles')])
      .where('users.id', '=', id)
      .where('users.deleted_at', 'is', null)
      .executeTakeFirst()
  }

  return {
    findPublic,

    /** Live account by email or username, case-insensitively, with what login needs. */
    async findForLogin (login: string): Promise<(UserRow & { roles: string[] }) | undefined> {
      const needle = login.trim().toLowerCase()
      return await db.selectFrom('users')
        .selectAll('users')
        .select(rolesOf('users.id').as('roles'))
        .where((eb) => eb.or([
          eb(sql`lower(users.email)`, '=', needle),
          eb(sql`lower(users.username)`, '=', needle)
        ]))
        .where('users.deleted_at', 'is', null)
        .executeTakeFirst()
    },

    async create (input: { email: string, username: string, passwordHash: string }): Promise<PublicUser> {
      try {
        return await db.transaction().execute(async (trx) => {
          const user = await trx.insertInto('users')
            .values({ email: input.email.toLowerCase(), username: input.username, password_hash: input.passwordHash })
            .returning(publicColumns)
            .executeTakeFirstOrThrow()
          await trx.insertInto('user_roles').values({ user_id: user.id, role_name: DEFAULT_ROLE }).execute()
          return { ...user, roles: [DEFAULT_ROLE] }
        })
      } catch (err) {
        throw uniquenessError(err) ?? err
      }
    },

    /** The live, active account with this email, as a password reset needs it. */
    async findActiveByEmail (email: string): Promise<{ id: string, email: string } | undefined> {
      return await db.selectFrom('users')
        .select(['users.id', 'users.email'])
        .where(sql`lower(users.email)`, '=', email.trim().toLowerCase())
        .where('users.deleted_at', 'is', null)
        .where('users.is_active', '=', true)
        .executeTakeFirst()
    },

    /** What checking a live account's password needs. */
    async findCredentials (userId: string): Promise<Pick<UserRow, 'id' | 'email' | 'username' | 'password_hash'> | undefined> {
      return await db.selectFrom('users')
        .select(['users.id', 'users.email', 'users.username', 'users.password_hash'])
        .where('users.id', '=', userId)
        .where('users.deleted_at', 'is', null)
        .executeTakeFirst()
    },

    /** Changes the email and/or username of a live account; 409 when another live account has them. */
    async updateProfile (userId: string, changes: { email?: string, username?: string }): Promise<PublicUser | undefined> {
      try {
        return await db.transaction().execute(async (trx) => {
          const updated = await trx.updateTable('users')
            .set({
              ...(changes.email === undefined ? {} : { email: changes.email.toLowerCase() }),
              ...(changes.username === undefined ? {} : { username: changes.username }),
              updated_at: new Date()
            })
            .where('id', '=', userId)
            .where('deleted_at', 'is', null)
            .returning('id')
            .executeTakeFirst()
          return updated === undefined ? undefined : await findPublic(userId, trx)
        })
      } catch (err) {
        throw uniquenessError(err) ?? err
      }
    },

    /** Soft delete: the row stays for the audit trail, its email and username are free again (the unique indexes skip deleted rows). */
    async markDeleted (userId: string, executor: Executor = db): Promise<boolean> {
      const now = new Date()
      const row = await executor.updateTable('users').set({ deleted_at: now, updated_at: now })
        .where('id', '=', userId).where('deleted_at', 'is', null)
        .returning('id').executeTakeFirst()
      return row !== undefined
    },

    async setPasswordHash (userId: string, passwordHash: string, executor: Executor = db): Promise<void> {
      await executor.updateTable('users').set({ password_hash: passwordHash, updated_at: new Date() }).where('id', '=', userId).execute()
    },

    /**
     * Re-hashes the same password under the current parameters. The account does not change in
     * any way its owner can see, so `updated_at` (and every cached copy) stays as it is.
     */
    async upgradePasswordHash (userId: string, passwordHash: string): Promise<void> {
      await db.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', userId).execute()
    },

    /**
     * The user as `GET /users/me` shows it, from the in-process cache when the version the
     * store holds matches; call after the store check so a change is never served stale.
     */
    async getCurrent (userId: string, knownVersion: string | null): Promise<PublicUser | undefined> {
      const version = knownVersion ?? await revocations.claimUserVersion(userId, randomUUID(), versionTtlSeconds)
      const cached = cache?.get(userId)
      if (cached !== undefined && cached.version === version) return cached.user
      const user = await findPublic(userId)
      if (user !== undefined) cache?.set(userId, { version, user })
      return user
    },

    /** Call after the change has committed, so a reader that sees the new version also sees the new row. */
    async changed (userId: string): Promise<void> {
      cache?.delete(userId)
      await revocations.bumpUserVersion(userId, randomUUID(), versionTtlSeconds)
    }
  }
}

export type UserService = ReturnType<typeof createUserService>
