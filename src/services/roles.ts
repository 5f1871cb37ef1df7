/** Roles, and the in-process map of role -> permissions the permission guard reads on every request. */
import type { Kysely } from 'kysely'
import type { Database } from '../db/types.js'

/** What this service checks; the API grants nothing else. */
export const PERMISSIONS = ['users:read', 'users:write', 'users:delete', 'roles:read', 'roles:write'] as const
export type Permission = typeof PERMISSIONS[number]

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
  onReloadError: (err: unknown) => void
  now?: () => number
}

interface Snapshot {
  permissions: Map<string, ReadonlySet<string>>
  checkedAt: number
}

export function createRoleService ({ db, ttlSeconds, onReloadError, now = Date.now }: RoleServiceOptions) {
  let snapshot: Snapshot = { permissions: new Map(), checkedAt: Number.NEGATIVE_INFINITY }
  let started = 0
  let applied = 0
  let background: Promise<void> | undefined

  /** Loads the map anew; a load that finishes after a newer one never overwrites it. */
  async function reload (): Promise<void> {
    started += 1
    const sequence = started
    const checkedAt = now()
    const rows = await db.selectFrom('roles').select(['name', 'permissions']).execute()
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
    }
  }
}

export type RoleService = ReturnType<typeof createRoleService>
