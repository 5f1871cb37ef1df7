/** Roles, and the in-process map of role -> permissions the permission guard reads on every request. */
import type { Kysely } from 'kysely'
import * as rolesRepository from '../db/roles-repository.js'
import type { Role } from '../db/roles-repository.js'
import type { Database } from '../db/types.js'
import { errors } from '../errors.js'

/** What this service checks; the API grants nothing else. */
export const PERMISSIONS = ['users:read', 'users:write', 'users:delete', 'roles:read', 'roles:write'] as const
export type Permission = typeof PERMISSIONS[number]
/** What a role may hold: a permission, `resource:*` for every action on a resource, or `*` for everything. */
export const GRANTABLE_PERMISSIONS = ['*', 'users:*', 'roles:*', ...PERMISSIONS] as const

export const ADMIN_ROLE = 'admin'

/** Who is acting, with the permissions the roles of their access token grant right now. */
export interface Actor {
  id: string
  permissions: ReadonlySet<string>
}

export type { Role } from '../db/roles-repository.js'

/** Whether the held permissions grant `wanted`; `wanted` may itself be a wildcard, which only an equal or wider one grants. */
export function grants (held: ReadonlySet<string>, wanted: string): boolean {
  if (held.has('*') || held.has(wanted)) return true
  const colon = wanted.indexOf(':')
  return colon > 0 && held.has(`${wanted.slice(0, colon)}:*`)
}

/** Whether the held permissions grant every one of `wanted`: an actor may only hand out, or take away, what it holds itself. */
export function covers (held: ReadonlySet<string>, wanted: Iterable<string>): boolean {
  for (const permission of wanted) if (!grants(held, permission)) return false
  return true
}

export interface RoleServiceOptions {
  db: Kysely<Database>
  /** How stale the map may get before a request triggers a background reload; bounds how long another instance's change takes to arrive. */
  ttlSeconds: number
  /** Told about the accounts whose roles changed because a role was deleted. */
  usersChanged: (userIds: string[]) => Promise<void>
  onReloadError: (err: unknown) => void
  now?: () => number
}

interface Snapshot {
  permissions: Map<string, ReadonlySet<string>>
  checkedAt: number
}

export function createRoleService ({ db, ttlSeconds, usersChanged, onReloadError, now = Date.now }: RoleServiceOptions) {
  let snapshot: Snapshot = { permissions: new Map(), checkedAt: Number.NEGATIVE_INFINITY }
  let started = 0
  let applied = 0
  let background: Promise<void> | undefined

  /** Loads the map anew; a load that finishes after a newer one never overwrites it. */
  async function reload (): Promise<void> {
    started += 1
    const sequence = started
    const checkedAt = now()
    const rows = await rolesRepository.listRolePermissions(db)
    if (sequence < applied) return
    applied = sequence
    snapshot = { permissions: new Map(rows.map((r) => [r.name, new Set(r.permissions)])), checkedAt }
  }

  function current (): Snapshot {
    if (background === undefined && now() - snapshot.checkedAt >= ttlSeconds * 1000) {
      // Stamped before the query, so a failing database is retried once per TTL, not on every request.
      snapshot = { ...snapshot, checkedAt: now() }
      background = reload().catch(onReloadError).finally(() => { background = undefined })
    }
    return snapshot
  }

  function permissionsOf (roleNames: readonly string[]): Set<string> {
    const { permissions } = current()
    const held = new Set<string>()
    for (const name of roleNames) for (const p of permissions.get(name) ?? []) held.add(p)
    return held
  }

  return {
    reload,

    /** Settles once no background reload is running; for shutdown and tests. */
    async idle (): Promise<void> {
      await background
    },

    permissionsOf,

    /** Whether any of the roles (unknown names grant nothing) grants the permission. */
    allows (roleNames: readonly string[], permission: Permission): boolean {
      const { permissions } = current()
      return roleNames.some((name) => {
        const held = permissions.get(name)
        return held !== undefined && grants(held, permission)
      })
    },

    async list (): Promise<Role[]> {
      return await rolesRepository.listRoles(db)
    },

    async create (input: { name: string, description?: string | undefined, permissions: string[] }, actor: ReadonlySet<string>): Promise<Role> {
      if (!covers(actor, input.permissions)) throw errors.forbidden('A role can only be given permissions you hold yourself.')
      const role = await rolesRepository.insertRole(db, { name: input.name, description: input.description ?? '', permissions: [...new Set(input.permissions)] })
      if (role === undefined) throw errors.roleExists(input.name)
      await reload()
      return role
    },

    /**
     * Deletes a custom role. Held by live accounts, it is only deleted with `force`, which takes
     * it away from them: its permissions stop at once, its name leaves their tokens at the next refresh.
     */
    async remove (name: string, options: { force: boolean }, actor: ReadonlySet<string>): Promise<{ affectedUsers: number }> {
      const affected = await db.transaction().execute(async (trx) => {
        const role = await rolesRepository.lockRole(trx, name)
        if (role === undefined) throw errors.notFound(`No role named "${name}".`)
        if (role.built_in) throw errors.conflict(`"${name}" is a built-in role and cannot be deleted.`)
        if (!covers(actor, role.permissions)) throw errors.forbidden('You can only delete a role whose permissions you hold yourself.')
        const holders = await rolesRepository.liveHoldersOf(trx, name)
        if (holders.length > 0 && !options.force) {
          throw errors.roleInUse(
            `${holders.length} account(s) hold the role "${name}"; remove it from them first, or delete with force=true to take it away from them.`)
        }
        await rolesRepository.deleteRole(trx, name)
        return holders
      })
      await reload()
      await usersChanged(affected)
      return { affectedUsers: affected.length }
    }
  }
}

export type RoleService = ReturnType<typeof createRoleService>
