/** SQL of `roles` and `user_roles`: the roles themselves and who holds them. */
import type { Executor, RoleRow } from './types.js'

export type Role = Pick<RoleRow, 'name' | 'description' | 'permissions' | 'built_in'>
export type HeldRole = Pick<RoleRow, 'name' | 'permissions'>

export const ROLE_COLUMNS = ['name', 'description', 'permissions', 'built_in'] as const

/** Every role's permissions: what the permission map is built from. */
export async function listRolePermissions (db: Executor): Promise<HeldRole[]> {
  return await db.selectFrom('roles').select(['name', 'permissions']).execute()
}

/** Built-in roles first, then by name. */
export async function listRoles (db: Executor): Promise<Role[]> {
  return await db.selectFrom('roles').select(ROLE_COLUMNS).orderBy('built_in', 'desc').orderBy('name').execute()
}

/** Undefined when a role of that name exists already. */
export async function insertRole (db: Executor, role: { name: string, description: string, permissions: string[] }): Promise<Role | undefined> {
  return await db.insertInto('roles').values(role)
    .onConflict((oc) => oc.column('name').doNothing())
    .returning(ROLE_COLUMNS)
    .executeTakeFirst()
}

/** Locks the role's row until the transaction ends. */
export async function lockRole (trx: Executor, name: string): Promise<Pick<RoleRow, 'built_in' | 'permissions'> | undefined> {
  return await trx.selectFrom('roles').select(['built_in', 'permissions']).where('name', '=', name).forUpdate().executeTakeFirst()
}

/** The named roles that exist, share-locked so they cannot be deleted before the transaction ends. */
export async function shareLockRoles (trx: Executor, names: string[]): Promise<HeldRole[]> {
  if (names.length === 0) return []
  return await trx.selectFrom('roles').select(['name', 'permissions']).where('name', 'in', names).forShare().execute()
}

/** Its user_roles rows go with it (on delete cascade). */
export async function deleteRole (trx: Executor, name: string): Promise<void> {
  await trx.deleteFrom('roles').where('name', '=', name).execute()
}

/** The live accounts holding the role. */
export async function liveHoldersOf (db: Executor, role: string): Promise<string[]> {
  const rows = await db.selectFrom('user_roles')
    .innerJoin('users', 'users.id', 'user_roles.user_id')
    .select('users.id')
    .where('user_roles.role_name', '=', role)
    .where('users.deleted_at', 'is', null)
    .execute()
  return rows.map((r) => r.id)
}

/** The roles the account holds, with their permissions. */
export async function rolesHeldBy (db: Executor, userId: string): Promise<HeldRole[]> {
  return await db.selectFrom('user_roles').innerJoin('roles', 'roles.name', 'user_roles.role_name')
    .select(['roles.name', 'roles.permissions']).where('user_roles.user_id', '=', userId).execute()
}

/** Whether a live, active account other than `exceptUserId` holds the role. */
export async function anotherActiveHolder (db: Executor, role: string, exceptUserId: string): Promise<boolean> {
  const other = await db.selectFrom('user_roles').innerJoin('users', 'users.id', 'user_roles.user_id')
    .select('users.id')
    .where('user_roles.role_name', '=', role)
    .where('users.id', '!=', exceptUserId)
    .where('users.is_active', '=', true)
    .where('users.deleted_at', 'is', null)
    .limit(1)
    .executeTakeFirst()
  return other !== undefined
}

/** Makes the account hold exactly these roles. */
export async function replaceUserRoles (trx: Executor, userId: string, roles: string[]): Promise<void> {
  let removal = trx.deleteFrom('user_roles').where('user_id', '=', userId)
  if (roles.length > 0) removal = removal.where('role_name', 'not in', roles)
  await removal.execute()
  if (roles.length > 0) {
    await trx.insertInto('user_roles').values(roles.map((name) => ({ user_id: userId, role_name: name })))
      .onConflict((oc) => oc.columns(['user_id', 'role_name']).doNothing()).execute()
  }
}

/** Gives the account the role; false when it held it already. */
export async function grantRole (db: Executor, userId: string, role: string): Promise<boolean> {
  const granted = await db.insertInto('user_roles').values({ user_id: userId, role_name: role })
    .onConflict((oc) => oc.columns(['user_id', 'role_name']).doNothing())
    .returning('role_name').executeTakeFirst()
  return granted !== undefined
}
