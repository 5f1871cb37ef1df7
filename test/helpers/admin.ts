/** Accounts with roles for the tests of the guarded routes, without going through the admin API itself. */
import type { App } from '../../src/app.js'
import { registerUser, type SessionBody } from './app.js'

/** Gives roles straight in the database, as an operator would, and tells the user cache. */
export async function grantRoles (app: App, userId: string, roles: string[]): Promise<void> {
  if (roles.length === 0) return
  await app.db.insertInto('user_roles')
    .values(roles.map((role) => ({ user_id: userId, role_name: role })))
    .onConflict((oc) => oc.columns(['user_id', 'role_name']).doNothing())
    .execute()
  await app.users.changed(userId)
}

export async function login (app: App, login: string, password: string): Promise<SessionBody> {
  const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: login, password } })
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`)
  return res.json<SessionBody>()
}

/** A fresh account holding `roles` besides `user`, logged in again so its access token names them. */
export async function userWithRoles (app: App, roles: string[], fields: { email?: string, username?: string } = {}) {
  const user = await registerUser(app, fields)
  await grantRoles(app, user.session.user.id, roles)
  return { ...user, id: user.session.user.id, session: await login(app, user.username, user.password) }
}

/** A fresh account with the `admin` role and an access token that carries it. */
export async function createAdmin (app: App, fields: { email?: string, username?: string } = {}) {
  return await userWithRoles(app, ['admin'], fields)
}
