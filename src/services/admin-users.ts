/** Managing other people's accounts: listing, reading, (de)activating, changing roles, deleting. */
import type { Kysely } from 'kysely'
import * as rolesRepository from '../db/roles-repository.js'
import { setEmailVerified } from '../db/email-verifications-repository.js'
import type { HeldRole } from '../db/roles-repository.js'
import type { Database, Executor } from '../db/types.js'
import * as usersRepository from '../db/users-repository.js'
import { errors } from '../errors.js'
import type { RevocationStore } from '../stores/revocation-store.js'
import { ADMIN_ROLE, covers, type Actor } from './roles.js'
import type { SessionService } from './sessions.js'
import type { PublicUser, UserService } from './users.js'

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
  email_verified?: boolean | undefined
}

export interface AdminUserServiceDeps {
  db: Kysely<Database>
  users: UserService
  sessions: SessionService
  revocations: RevocationStore
  /** How long a "tokens before T are void" mark must live: the access-token lifetime plus clock skew. */
  revocationTtlSeconds: number
}

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

/** Locks the live account and answers it with the roles it holds now. */
async function lockTarget (trx: Executor, id: string): Promise<{ isActive: boolean, roles: HeldRole[] }> {
  // Every change that can take admin away from someone queues here first, so two of them cannot
  // both see "another admin remains" and together leave none.
  await rolesRepository.lockRole(trx, ADMIN_ROLE)
  const target = await usersRepository.lockLiveUser(trx, id)
  if (target === undefined) throw errors.notFound('No such user.')
  return { isActive: target.is_active, roles: await rolesRepository.rolesHeldBy(trx, id) }
}

/** An actor may only manage accounts, and hand out roles, whose permissions it holds itself: `users:write` alone cannot make an admin. */
function assertCovers (actor: Actor, roles: HeldRole[], detail: string): void {
  if (!covers(actor.permissions, roles.flatMap((r) => r.permissions))) throw errors.forbidden(detail)
}

async function assertAnotherAdmin (trx: Executor, id: string): Promise<void> {
  if (!await rolesRepository.anotherActiveHolder(trx, ADMIN_ROLE, id)) throw errors.conflict('This is the last active admin; make another account admin first.')
}

const hasAdmin = (roles: ReadonlyArray<{ name: string }>) => roles.some((r) => r.name === ADMIN_ROLE)

/**
 * 409 when taking this account away would leave no active admin. Call it inside the transaction
 * that removes the account: it takes the same lock as the admin routes, so racing removals queue.
 */
export async function assertNotLastAdmin (trx: Executor, userId: string): Promise<void> {
  const target = await lockTarget(trx, userId)
  if (target.isActive && hasAdmin(target.roles)) await assertAnotherAdmin(trx, userId)
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
      const rows = await usersRepository.listLiveUsers(db, { limit: limit + 1, after, prefix: q })
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
     * reaches the user's access token at its next refresh. Nobody deactivates or demotes
     * themselves here, and the last active admin stays one.
     */
    async update (id: string, patch: UserPatch, actor: Actor): Promise<PublicUser> {
      const user = await db.transaction().execute(async (trx) => {
        const target = await lockTarget(trx, id)
        assertCovers(actor, target.roles, 'You can only manage accounts whose permissions you hold yourself.')
        if (actor.id === id && patch.is_active === false) throw errors.conflict('You cannot deactivate your own account.')
        const wanted = patch.roles
        if (actor.id === id && wanted !== undefined && hasAdmin(target.roles) && !wanted.includes(ADMIN_ROLE)) {
          throw errors.conflict('You cannot take the admin role from your own account; another admin has to.')
        }
        if (wanted !== undefined) {
          // Shared locks keep the roles from being deleted before this commits.
          const known = await rolesRepository.shareLockRoles(trx, wanted)
          const knownNames = new Set(known.map((r) => r.name))
          const unknown = wanted.flatMap((name, i) => knownNames.has(name) ? [] : [{ path: `/roles/${i}`, message: `is not a known role: ${name}` }])
          if (unknown.length > 0) throw errors.validation('Some roles do not exist.', unknown)
          assertCovers(actor, known, 'You can only give roles whose permissions you hold yourself.')
          await rolesRepository.replaceUserRoles(trx, id, wanted)
        }
        const staysAdmin = (patch.is_active ?? target.isActive) && (wanted === undefined ? hasAdmin(target.roles) : wanted.includes(ADMIN_ROLE))
        if (target.isActive && hasAdmin(target.roles) && !staysAdmin) await assertAnotherAdmin(trx, id)
        if (patch.email_verified !== undefined) await setEmailVerified(trx, id, patch.email_verified, new Date())
        return await usersRepository.touchUser(trx, id, patch.is_active === undefined ? {} : { is_active: patch.is_active })
      })
      // Also on a repeated deactivation, so a retry after a store outage finishes the job.
      if (patch.is_active === false) await cutOff(id)
      await users.changed(id)
      return user
    },

    /** Soft delete: the email and username become free again; every session ends at once. */
    async remove (id: string, actor: Actor): Promise<void> {
      await db.transaction().execute(async (trx) => {
        const target = await lockTarget(trx, id)
        assertCovers(actor, target.roles, 'You can only manage accounts whose permissions you hold yourself.')
        if (actor.id === id) throw errors.conflict('You cannot delete your own account here; use DELETE /users/me.')
        if (target.isActive && hasAdmin(target.roles)) await assertAnotherAdmin(trx, id)
        await users.markDeleted(id, trx)
      })
      await cutOff(id)
      await users.changed(id)
    },

    /**
     * Removes every second factor of the account (a lost phone) with `removeFactors`, under the
     * same rules as any change to it, and ends every session it has. Answers whether there was a
     * factor to remove.
     */
    async resetSecondFactors (id: string, actor: Actor, removeFactors: (trx: Executor) => Promise<boolean>): Promise<boolean> {
      const removed = await db.transaction().execute(async (trx) => {
        const target = await lockTarget(trx, id)
        assertCovers(actor, target.roles, 'You can only manage accounts whose permissions you hold yourself.')
        return await removeFactors(trx)
      })
      await cutOff(id)
      await users.changed(id)
      return removed
    },

    /**
     * For the command line: gives admin to the live account with this email, and reactivates it,
     * since the command is how an operator gets back in. Undefined when there is no such account.
     */
    async promoteByEmail (email: string): Promise<{ user: PublicUser, wasAdmin: boolean, reactivated: boolean } | undefined> {
      const result = await db.transaction().execute(async (trx) => {
        const target = await usersRepository.lockLiveUserByEmail(trx, email)
        if (target === undefined) return undefined
        const granted = await rolesRepository.grantRole(trx, target.id, ADMIN_ROLE)
        const user = await usersRepository.touchUser(trx, target.id, { is_active: true })
        return { user, wasAdmin: !granted, reactivated: !target.is_active }
      })
      if (result !== undefined) await users.changed(result.user.id)
      return result
    }
  }
}

export type AdminUserService = ReturnType<typeof createAdminUserService>
