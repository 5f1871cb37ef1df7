import t from 'tap'
import { bearer, build, registerUser } from './helpers/app.js'
import { createAdmin, grantRoles, login, userWithRoles } from './helpers/admin.js'

const ROLES = '/api/v1/roles'

const BUILT_INS = [
  { name: 'admin', description: 'Full administrative access.', permissions: ['*'], built_in: true },
  { name: 'user', description: 'Every account; no administrative permission.', permissions: [], built_in: true }
]

t.test('roles', async (t) => {
  const app = await build(t)
  const admin = await createAdmin(app)
  const plain = await registerUser(app)
  const asAdmin = bearer(admin.session.access_token)
  const asPlain = bearer(plain.session.access_token)
  // roles:* only: may manage roles, but only with permissions it holds.
  const roleManager = await userWithRoles(app, [])
  await app.db.insertInto('roles').values({ name: 'role-manager', permissions: ['roles:*'] }).execute()
  await app.roles.reload()
  await grantRoles(app, roleManager.id, ['role-manager'])
  const asRoleManager = bearer((await login(app, roleManager.username, roleManager.password)).access_token)

  const create = (payload: unknown, headers = asAdmin) => app.inject({ method: 'POST', url: ROLES, headers, payload: payload as object })
  const remove = (name: string, headers = asAdmin, query = '') => app.inject({ method: 'DELETE', url: `${ROLES}/${name}${query}`, headers })

  t.test('GET /roles', async (t) => {
    t.test('lists the built-in roles first, then the others by name', async (t) => {
      const res = await app.inject({ url: ROLES, headers: asAdmin })
      t.equal(res.statusCode, 200)
      t.same(res.json(), [...BUILT_INS, { name: 'role-manager', description: '', permissions: ['roles:*'], built_in: false }])
    })

    t.test('a plain user gets 403', async (t) => {
      const res = await app.inject({ url: ROLES, headers: asPlain })
      t.equal(res.statusCode, 403)
      t.match(res.json(), { status: 403, code: 'forbidden', detail: 'This needs the permission roles:read.' })
    })

    t.test('without a token: 401', async (t) => {
      const res = await app.inject({ url: ROLES })
      t.equal(res.statusCode, 401)
      t.match(res.json(), { status: 401, code: 'invalid_token' })
      t.equal(res.headers['www-authenticate'], 'Bearer')
    })

    t.test('with a bad token: 401', async (t) => {
      const res = await app.inject({ url: ROLES, headers: bearer('not-a-jwt') })
      t.equal(res.statusCode, 401)
      t.match(res.json(), { code: 'invalid_token' })
    })
  })

  t.test('POST /roles', async (t) => {
    t.test('creates a role, which grants its permissions at once', async (t) => {
      const res = await create({ name: 'role-reader', description: 'Sees the roles', permissions: ['roles:read'] })
      t.equal(res.statusCode, 201)
      t.same(res.json(), { name: 'role-reader', description: 'Sees the roles', permissions: ['roles:read'], built_in: false })

      const reader = await userWithRoles(app, ['role-reader'])
      const list = await app.inject({ url: ROLES, headers: bearer(reader.session.access_token) })
      t.equal(list.statusCode, 200)
      t.ok(list.json().some((r: { name: string }) => r.name === 'role-reader'))
    })

    t.test('the description defaults to empty and wildcards are accepted', async (t) => {
      const res = await create({ name: 'user-manager', permissions: ['users:*'] })
      t.equal(res.statusCode, 201)
      t.same(res.json(), { name: 'user-manager', description: '', permissions: ['users:*'], built_in: false })
    })

    t.test('a role with no permission is a label other services can read from the token', async (t) => {
      const res = await create({ name: 'beta-tester', permissions: [] })
      t.equal(res.statusCode, 201)
      t.same(res.json().permissions, [])
    })

    t.test('an existing name is 409 role_exists', async (t) => {
      for (const name of ['role-reader', 'admin']) {
        const res = await create({ name, permissions: ['roles:read'] })
        t.equal(res.statusCode, 409, name)
        t.match(res.json(), { status: 409, code: 'role_exists', detail: `A role named "${name}" already exists.` })
      }
    })

    t.test('bad input is 400 validation_failed naming the field', async (t) => {
      const cases: Array<[unknown, string]> = [
        [{ name: 'Support', permissions: [] }, '/name'],
        [{ name: 'a', permissions: [] }, '/name'],
        [{ name: '1st', permissions: [] }, '/name'],
        [{ name: 'x'.repeat(33), permissions: [] }, '/name'],
        [{ name: 'ok-name', permissions: ['orders:read'] }, '/permissions/0'],
        [{ name: 'ok-name', permissions: ['users:read', 'users:read'] }, '/permissions'],
        [{ name: 'ok-name', permissions: 'users:read' }, '/permissions'],
        [{ name: 'ok-name' }, '/permissions'],
        [{ name: 'ok-name', permissions: [], built_in: true }, '/built_in'],
        [{ name: 'ok-name', permissions: [], description: 'x'.repeat(201) }, '/description']
      ]
      for (const [payload, path] of cases) {
        const res = await create(payload)
        t.equal(res.statusCode, 400, JSON.stringify(payload))
        t.match(res.json(), { status: 400, code: 'validation_failed', errors: [{ path }] }, JSON.stringify(payload))
      }
      const list = await app.inject({ url: ROLES, headers: asAdmin })
      t.notOk(list.json().some((r: { name: string }) => r.name === 'ok-name'))
    })

    t.test('a caller cannot give a role permissions it lacks', async (t) => {
      const denied = await create({ name: 'escalation', permissions: ['roles:read', 'users:read'] }, asRoleManager)
      t.equal(denied.statusCode, 403)
      t.match(denied.json(), { code: 'forbidden', detail: 'A role can only be given permissions you hold yourself.' })
      const wildcard = await create({ name: 'escalation', permissions: ['*'] }, asRoleManager)
      t.equal(wildcard.statusCode, 403)
      const allowed = await create({ name: 'role-auditor', permissions: ['roles:read'] }, asRoleManager)
      t.equal(allowed.statusCode, 201)
    })

    t.test('a plain user gets 403 and nothing is created', async (t) => {
      const res = await create({ name: 'sneaky', permissions: [] }, asPlain)
      t.equal(res.statusCode, 403)
      t.match(res.json(), { code: 'forbidden', detail: 'This needs the permission roles:write.' })
      t.equal(await app.db.selectFrom('roles').select('name').where('name', '=', 'sneaky').executeTakeFirst(), undefined)
    })

    t.test('without a token: 401', async (t) => {
      const res = await app.inject({ method: 'POST', url: ROLES, payload: { name: 'sneaky', permissions: [] } })
      t.equal(res.statusCode, 401)
      t.match(res.json(), { code: 'invalid_token' })
    })
  })

  t.test('DELETE /roles/{name}', async (t) => {
    t.test('deletes a role nobody holds', async (t) => {
      const res = await remove('beta-tester')
      t.equal(res.statusCode, 204)
      t.equal(res.body, '')
      const list = await app.inject({ url: ROLES, headers: asAdmin })
      t.notOk(list.json().some((r: { name: string }) => r.name === 'beta-tester'))
      t.equal((await remove('beta-tester')).statusCode, 404, 'gone')
    })

    t.test('built-in roles cannot be deleted: 409 conflict', async (t) => {
      for (const name of ['admin', 'user']) {
        const res = await remove(name, asAdmin, '?force=true')
        t.equal(res.statusCode, 409, name)
        t.match(res.json(), { status: 409, code: 'conflict', detail: `"${name}" is a built-in role and cannot be deleted.` })
      }
    })

    t.test('an unknown role is 404, a malformed name 400', async (t) => {
      const unknown = await remove('no-such-role')
      t.equal(unknown.statusCode, 404)
      t.match(unknown.json(), { status: 404, code: 'not_found', detail: 'No role named "no-such-role".' })
      const bad = await remove('Bad%20Name')
      t.equal(bad.statusCode, 400)
      t.match(bad.json(), { code: 'validation_failed', errors: [{ path: 'params/name' }] })
    })

    t.test('bad query parameters are 400', async (t) => {
      for (const query of ['?force=maybe', '?cascade=true']) {
        const res = await remove('role-reader', asAdmin, query)
        t.equal(res.statusCode, 400, query)
        t.match(res.json(), { code: 'validation_failed' })
      }
    })

    t.test('a role in use is 409 role_in_use; with force=true it is taken away from its holders', async (t) => {
      await create({ name: 'support', permissions: ['roles:read'] })
      const holder = await userWithRoles(app, ['support'])
      const asHolder = bearer(holder.session.access_token)
      t.equal((await app.inject({ url: ROLES, headers: asHolder })).statusCode, 200, 'the role works')
      const before = await app.inject({ url: '/api/v1/users/me', headers: asHolder })
      t.same(before.json().roles, ['support', 'user'])

      const inUse = await remove('support')
      t.equal(inUse.statusCode, 409)
      t.match(inUse.json(), { status: 409, code: 'role_in_use', detail: /^1 account\(s\) hold the role "support"; .*force=true/ })

      const forced = await remove('support', asAdmin, '?force=true')
      t.equal(forced.statusCode, 204)
      const denied = await app.inject({ url: ROLES, headers: asHolder })
      t.equal(denied.statusCode, 403, 'the token still names the role, which grants nothing any more')
      const me = await app.inject({ url: '/api/v1/users/me', headers: asHolder })
      t.same(me.json().roles, ['user'], 'the cached profile was told')
      const refreshed = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: holder.session.refresh_token } })
      t.same(refreshed.json().user.roles, ['user'], 'gone from the next token')
    })

    t.test('a role held only by deleted accounts is not in use', async (t) => {
      await create({ name: 'former', permissions: [] })
      const gone = await userWithRoles(app, ['former'])
      await app.db.updateTable('users').set({ deleted_at: new Date() }).where('id', '=', gone.id).execute()
      t.equal((await remove('former')).statusCode, 204)
    })

    t.test('a caller cannot delete a role with permissions it lacks', async (t) => {
      const res = await remove('role-auditor', asRoleManager)
      t.equal(res.statusCode, 204, 'roles:read is within roles:*')
      const denied = await remove('user-manager', asRoleManager)
      t.equal(denied.statusCode, 403)
      t.match(denied.json(), { code: 'forbidden', detail: 'You can only delete a role whose permissions you hold yourself.' })
    })

    t.test('a plain user gets 403, and without a token 401', async (t) => {
      const forbidden = await remove('user-manager', asPlain)
      t.equal(forbidden.statusCode, 403)
      t.match(forbidden.json(), { code: 'forbidden' })
      const anonymous = await app.inject({ method: 'DELETE', url: `${ROLES}/user-manager` })
      t.equal(anonymous.statusCode, 401)
      t.match(anonymous.json(), { code: 'invalid_token' })
      const list = await app.inject({ url: ROLES, headers: asAdmin })
      t.ok(list.json().some((r: { name: string }) => r.name === 'user-manager'), 'still there')
    })
  })

  t.test('the OpenAPI document shows the permission of each roles route', async (t) => {
    const doc = (await app.inject({ url: '/docs/json' })).json()
    t.same(doc.paths['/api/v1/roles'].get['x-permissions'], ['roles:read'])
    t.same(doc.paths['/api/v1/roles'].post['x-permissions'], ['roles:write'])
    t.same(doc.paths['/api/v1/roles/{name}'].delete['x-permissions'], ['roles:write'])
    t.match(doc.paths['/api/v1/roles/{name}'].delete.description, /Requires the permission `roles:write`\.$/)
    t.same(doc.paths['/api/v1/roles'].get.security, [{ bearerAuth: [] }, { oauth2: [] }])
  })
})
