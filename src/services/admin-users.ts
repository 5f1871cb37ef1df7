/** Managing other people's accounts: listing, reading, (de)activating, changing roles, deleting. */
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/types.js'
import { errors } from '../errors.js'
import type { RevocationStore } from '../stores/revocation-store.js'
import type { SessionService } from './sessions.js'
import { rolesOf, type PublicUser, type UserService } from './users.js'

export interface UserPage {
  items: PublicUser[]
  next_cursor: string | null
}

export interface ListUsersOptions {
  limit: number
  cursor?: string | undefined
  q?: string | undefined
}

export interface UserPatch {
  is_active?: boolean | undefined
  roles?: string[] | undefined
}

export interface AdminUserServiceDeps {
  db: Kysely<Database>
  users: UserService
  sessions: SessionService
  revocations: RevocationStore
  /** How long a "tokens before T are void" mark must live: the access-token lifetime plus clock skew. */
  revocationTtlSeconds: number
}

const userColumns = ['users.id', 'users.email', 'users.username', 'users.is_active', 'users.created_at', 'users.updated_at'] as const

// Microseconds, as stored: a cursor rounded to milliseconds would skip rows created within the same millisecond.
const cursorTimestamp = sql<string>`to_char(users.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`
const CURSOR = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\.(\d{3})(\d{3})Z\|([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/

function encodeCursor (createdAt: string, id: string): string {
  return Buffer.from(`${createdAt}|${id}`).toString('base64url')
}

function decodeCursor (cursor: string): { createdAt: string, id: string } {
  const [, seconds = '', millis = '', micros = '', id = ''] = CURSOR.exec(Buffer.from(cursor, 'base64url').toString('utf8')) ?? []
  // Only a real instant gets through: the database would answer an impossible date with an error, not a 400.
  const inMillis = `${seconds}.${millis}Z`
  if (id === '' || Number.isNaN(Date.parse(inMillis)) || new Date(inMillis).toISOString() !== inMillis) {
    throw errors.validation('The cursor is not one this API gave out.', [{ path: 'querystring/cursor', message: 'is not a valid cursor' }])
  }
  return { createdAt: `${seconds}.${millis}${micros}Z`, id }
}

/** `like` treats % and _ as wildcards and \ as the escape; a search string means itself. */
function prefixPattern (q: string): string {
  return `${q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`
}

export function createAdminUserService ({ db, users, sessions, revocations, revocationTtlSeconds }: AdminUserServiceDeps) {
  /** Ends every session and voids every access token the user holds, at once. */
  async function cutOff (userId: string): Promise<void> {
    await sessions.revokeAllOf(userId)
    await revocations.revokeUserTokensBefore(userId, Math.floor(Date.now() / 1000), revocationTtlSeconds)
  }

  return {
    /** Live accounts, newest first; `q` matches the start of the email or the username, case-insensitively. */
    async list ({ limit, cursor, q }: ListUsersOptions): Promise<UserPage> {
      const after = cursor === undefined ? undefined : decodeCursor(cursor)
      let query = db.selectFrom('users')
        .select([...userColumns, rolesOf('users.id').as('roles'), cursorTimestamp.as('cursor_at')])
        .where('users.deleted_at', 'is', null)
      if (q !== undefined) {
        const pattern = prefixPattern(q)
        query = query.where((eb) => eb.or([
          eb(sql`lower(users.email)`, 'like', pattern),
          eb(sql`lower(users.username)`, 'like', pattern)
        ]))
      }
      if (after !== undefined) {
        query = query.where(sql<boolean>`(users.created_at, users.id) < (${after.createdAt}::timestamptz, ${after.id}::uuid)`)
      }
      const rows = await query.orderBy('users.created_at', 'desc').orderBy('users.id', 'desc').limit(limit + 1).execute()
      const page = rows.slice(0, limit)
      const last = page.at(-1)
      return {
        items: page.map(({ cursor_at: _cursor, ...user }) => user),
        next_cursor: rows.length > limit && last !== undefined ? encodeCursor(last.cursor_at, last.id) : null
      }
    },

    async get (id: string): Promise<PublicUser> {
      const user = await users.findPublic(id)
      if (user === undefined) throw errors.notFound('No such user.')
      return user
    },

    /**
     * `roles` replaces the whole set. Deactivation ends every session at once; a role change
     * reaches the user's access token at its next refresh.
     */
    async update (id: string, patch: UserPatch): Promise<PublicUser> {
      const user = await db.transaction().execute(async (trx) => {
        const target = await trx.selectFrom('users').select('id')
          .where('id', '=', id).where('deleted_at', 'is', null).forUpdate().executeTakeFirst()
        if (target === undefined) throw errors.notFound('No such user.')
        if (patch.roles !== undefined) {
          const wanted = patch.roles
          // Shared locks keep the roles from being deleted before this commits.
          const known = wanted.length === 0
            ? []
            : await trx.selectFrom('roles').select('name').where('name', 'in', wanted).forShare().execute()
          const knownNames = new Set(known.map((r) => r.name))
          const unknown = wanted.flatMap((name, i) => knownNames.has(name) ? [] : [{ path: `/roles/${i}`, message: `is not a known role: ${name}` }])
          if (unknown.length > 0) throw errors.validation('Some roles do not exist.', unknown)
          let removal = trx.deleteFrom('user_roles').where('user_id', '=', id)
          if (wanted.length > 0) removal = removal.where('role_name', 'not in', wanted)
          await removal.execute()
          if (wanted.length > 0) {
            await trx.insertInto('user_roles').values(wanted.map((name) => ({ user_id: id, role_name: name })))
              .onConflict((oc) => oc.columns(['user_id', 'role_name']).doNothing()).execute()
          }
        }
        await trx.updateTable('users')
          .set({ ...(patch.is_active === undefined ? {} : { is_active: patch.is_active }), updated_at: new Date() })
          .where('id', '=', id).execute()
        const updated = await users.findPublic(id, trx)
        if (updated === undefined) throw errors.notFound('No such user.')
        return updated
      })
      // Also on a repeated deactivation, so a retry after a store outage finishes the job.
      if (patch.is_active === false) await cutOff(id)
      await users.changed(id)
      return user
    },

    /** Soft delete: the email and username become free again; every session ends at once. */
    async remove (id: string): Promise<void> {
      const deleted = await db.updateTable('users').set({ deleted_at: new Date(), updated_at: new Date() })
        .where('id', '=', id).where('deleted_at', 'is', null)
        .returning('id').executeTakeFirst()
      if (deleted === undefined) throw errors.notFound('No such user.')
      await cutOff(id)
      await users.changed(id)
    }
  }
}

export type AdminUserService = ReturnType<typeof createAdminUserService>
