/** SQL of the `users` table: the one place that knows its columns and its unique indexes. */
import { sql, type Kysely } from 'kysely'
import { errors } from '../errors.js'
import type { Database, Executor, UserRow } from './types.js'

/** The columns of an account anyone may see (never the password hash), as every query selects them. */
export const PUBLIC_USER_COLUMNS = [
  'users.id', 'users.email', 'users.username', 'users.is_active', 'users.email_verified', 'users.pending_email', 'users.created_at', 'users.updated_at'
] as const

export type PublicUser = Pick<UserRow, 'id' | 'email' | 'username' | 'is_active' | 'email_verified' | 'pending_email' | 'created_at' | 'updated_at'> & { roles: string[] }

/** The account's role names, sorted, as a column of a query over `users`. */
export function rolesOf (userIdColumn: 'users.id') {
  return sql<string[]>`array(select ur.role_name from user_roles ur where ur.user_id = ${sql.ref(userIdColumn)} order by ur.role_name)`
}

/** The public columns with the roles: what a query answers a `PublicUser` with. */
export const publicUserSelection = [...PUBLIC_USER_COLUMNS, rolesOf('users.id').as('roles')] as const

/** Postgres unique violations name the index, which says which field collided. */
function uniquenessError (err: unknown): Error | undefined {
  if (typeof err !== 'object' || err === null) return undefined
  const { code, constraint } = err as { code?: unknown, constraint?: unknown }
  if (code !== '23505') return undefined
  if (constraint === 'users_email_live_key') return errors.emailTaken()
  if (constraint === 'users_username_live_key') return errors.usernameTaken()
  return undefined
}

/** Runs a write that may collide with another live account's email or username: 409, not 500. */
async function unique<T> (write: () => Promise<T>): Promise<T> {
  try {
    return await write()
  } catch (err) {
    throw uniquenessError(err) ?? err
  }
}

const lower = (column: 'users.email' | 'users.username') => sql<string>`lower(${sql.ref(column)})`

export async function findPublicUser (db: Executor, id: string): Promise<PublicUser | undefined> {
  return await db.selectFrom('users').select(publicUserSelection)
    .where('users.id', '=', id).where('users.deleted_at', 'is', null)
    .executeTakeFirst()
}

/** The live account whose email or username is `login`, case-insensitively, with its hash and roles. */
export async function findUserForLogin (db: Executor, login: string): Promise<(UserRow & { roles: string[] }) | undefined> {
  const needle = login.trim().toLowerCase()
  return await db.selectFrom('users')
    .selectAll('users')
    .select(rolesOf('users.id').as('roles'))
    .where((eb) => eb.or([eb(lower('users.email'), '=', needle), eb(lower('users.username'), '=', needle)]))
    .where('users.deleted_at', 'is', null)
    .executeTakeFirst()
}

/** Inserts an account holding one role; 409 when a live account has the email or username. */
export async function insertUser (db: Kysely<Database>, input: { email: string, username: string, passwordHash: string }, role: string): Promise<PublicUser> {
  return await unique(() => db.transaction().execute(async (trx) => {
    const user = await trx.insertInto('users')
      .values({ email: input.email.toLowerCase(), username: input.username, password_hash: input.passwordHash })
      .returning(PUBLIC_USER_COLUMNS)
      .executeTakeFirstOrThrow()
    await trx.insertInto('user_roles').values({ user_id: user.id, role_name: role }).execute()
    return { ...user, roles: [role] }
  }))
}

export async function findActiveUserByEmail (db: Executor, email: string): Promise<Pick<UserRow, 'id' | 'email'> | undefined> {
  return await db.selectFrom('users')
    .select(['users.id', 'users.email'])
    .where(lower('users.email'), '=', email.trim().toLowerCase())
    .where('users.deleted_at', 'is', null)
    .where('users.is_active', '=', true)
    .executeTakeFirst()
}

export type UserCredentials = Pick<UserRow, 'id' | 'email' | 'username' | 'password_hash'>

export async function findUserCredentials (db: Executor, userId: string): Promise<UserCredentials | undefined> {
  return await db.selectFrom('users')
    .select(['users.id', 'users.email', 'users.username', 'users.password_hash'])
    .where('users.id', '=', userId)
    .where('users.deleted_at', 'is', null)
    .executeTakeFirst()
}

/** Changes the email and/or username of a live account; 409 when another live account has them. */
export async function updateUserProfile (db: Kysely<Database>, userId: string, changes: { email?: string, username?: string }): Promise<PublicUser | undefined> {
  return await unique(() => db.transaction().execute(async (trx) => {
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
    return updated === undefined ? undefined : await findPublicUser(trx, userId)
  }))
}

/** Soft delete: the row stays for the audit trail; the unique indexes skip deleted rows. */
export async function markUserDeleted (db: Executor, userId: string): Promise<boolean> {
  const now = new Date()
  const row = await db.updateTable('users').set({ deleted_at: now, updated_at: now })
    .where('id', '=', userId).where('deleted_at', 'is', null)
    .returning('id').executeTakeFirst()
  return row !== undefined
}

/** `touch: false` leaves `updated_at` alone, for a change its owner cannot see. */
export async function setPasswordHash (db: Executor, userId: string, passwordHash: string, { touch }: { touch: boolean }): Promise<void> {
  await db.updateTable('users')
    .set({ password_hash: passwordHash, ...(touch ? { updated_at: new Date() } : {}) })
    .where('id', '=', userId).execute()
}

/** Locks the live account's row until the transaction ends. */
export async function lockLiveUser (trx: Executor, id: string): Promise<Pick<UserRow, 'id' | 'is_active'> | undefined> {
  return await trx.selectFrom('users').select(['id', 'is_active'])
    .where('id', '=', id).where('deleted_at', 'is', null).forUpdate().executeTakeFirst()
}

/** Locks the live account with this email (case-insensitively) until the transaction ends. */
export async function lockLiveUserByEmail (trx: Executor, email: string): Promise<Pick<UserRow, 'id' | 'is_active'> | undefined> {
  return await trx.selectFrom('users').select(['id', 'is_active'])
    .where(lower('users.email'), '=', email.toLowerCase()).where('deleted_at', 'is', null)
    .forUpdate().executeTakeFirst()
}

/** Sets `is_active` when given, and `updated_at` always; answers the account as it is now. */
export async function touchUser (db: Executor, id: string, changes: { is_active?: boolean }): Promise<PublicUser> {
  return await db.updateTable('users')
    .set({ ...changes, updated_at: new Date() })
    .where('id', '=', id)
    .returning(publicUserSelection)
    .executeTakeFirstOrThrow()
}

// Microseconds, as stored: a cursor rounded to milliseconds would skip rows created within the same millisecond.
const cursorTimestamp = sql<string>`to_char(users.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`

/** `like` treats % and _ as wildcards and \ as the escape; a search string means itself. */
function prefixPattern (q: string): string {
  return `${q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`
}

export interface UserListQuery {
  limit: number
  /** Only accounts created before this one, in the order of the list. */
  after?: { createdAt: string, id: string } | undefined
  /** The start of the email or of the username, case-insensitively. */
  prefix?: string | undefined
}

/** Live accounts, newest first, each with its creation time at full precision for the next cursor. */
export async function listLiveUsers (db: Executor, { limit, after, prefix }: UserListQuery): Promise<Array<PublicUser & { cursor_at: string }>> {
  let query = db.selectFrom('users')
    .select([...publicUserSelection, cursorTimestamp.as('cursor_at')])
    .where('users.deleted_at', 'is', null)
  if (prefix !== undefined) {
    const pattern = prefixPattern(prefix)
    query = query.where((eb) => eb.or([eb(lower('users.email'), 'like', pattern), eb(lower('users.username'), 'like', pattern)]))
  }
  if (after !== undefined) {
    query = query.where(sql<boolean>`(users.created_at, users.id) < (${after.createdAt}::timestamptz, ${after.id}::uuid)`)
  }
  return await query.orderBy('users.created_at', 'desc').orderBy('users.id', 'desc').limit(limit).execute()
}
