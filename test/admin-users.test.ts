import { randomUUID } from 'node:crypto'
import t from 'tap'
import { SelectQueryNode, type KyselyPlugin, type PluginTransformQueryArgs, type PluginTransformResultArgs } from 'kysely'
import { createAdminUserService } from '../src/services/admin-users.js'
import { bearer, build, registerUser, TEST_PASSWORD, type SessionBody } from './helpers/app.js'
import { createAdmin, login, userWithRoles } from './helpers/admin.js'

const USERS = '/api/v1/users'

function claimsOf (accessToken: string): { roles: string[] } {
  return JSON.parse(Buffer.from(accessToken.split('.')[1] ?? '', 'base64url').toString('utf8'))
}

t.test('account administration', async (t) => {
  const app = await build(t)
  const admin = await createAdmin(app)
  const plain = await registerUser(app)
  const asAdmin = bearer(admin.session.access_token)
  const asPlain = bearer(plain.session.access_token)

  const me = (token: string) => app.inject({ url: `${USERS}/me`, headers: bearer(token) })
  const patch = (id: string, payload: unknown, headers = asAdmin) =>
    app.inject({ method: 'PATCH', url: `${USERS}/${id}`, headers, payload: payload as object })

  t.test('GET /users', async (t) => {
    const list = (query: string, headers = asAdmin) => app.inject({ url: `${USERS}${query}`, headers })

    t.test('answers User objects and nothing else', async (t) => {
      const res = await list(`?q=${plain.username}`)
      t.equal(res.statusCode, 200)
      const body = res.json()
      t.same(body, { items: [plain.session.user], next_cursor: null })
      t.same(Object.keys(body.items[0]).sort(), ['created_at', 'email', 'email_verified', 'id', 'is_active', 'pending_email', 'roles', 'updated_at', 'username'])
    })

    t.test('pages newest first without skipping or repeating, to the microsecond', async (t) => {
      const ids: string[] = []
      for (let i = 0; i < 7; i += 1) ids.push((await registerUser(app, { username: `pager_${i}`, email: `pager${i}@example.org` })).session.user.id)
      // Ties on created_at, and instants within one millisecond, are where cursors go wrong.
      const base = '2030-01-01T00:00:00.123'
      const createdAt = [`${base}001Z`, `${base}001Z`, `${base}001Z`, `${base}002Z`, `${base}500Z`, `${base}999Z`, '2030-01-01T00:00:00.124000Z']
      for (const [i, id] of ids.entries()) {
        await app.db.updateTable('users').set({ created_at: createdAt[i] as unknown as Date }).where('id', '=', id).execute()
      }
      const expected = (await app.db.selectFrom('users').select('id').where('username', 'like', 'pager\\_%')
        .orderBy('created_at', 'desc').orderBy('id', 'desc').execute()).map((r) => r.id)
      t.equal(expected.length, 7)

      const seen: string[] = []
      let cursor: string | null = null
      let pages = 0
      do {
        const res = await list(`?q=pager_&limit=2${cursor === null ? '' : `&cursor=${cursor}`}`)
        t.equal(res.statusCode, 200)
        const body: { items: Array<{ id: string }>, next_cursor: string | null } = res.json()
        t.ok(body.items.length <= 2)
        seen.push(...body.items.map((u) => u.id))
        cursor = body.next_cursor
        pages += 1
      } while (cursor !== null && pages < 10)
      t.same(seen, expected)
      t.equal(pages, 4)

      const exact = await list('?q=pager_&limit=7')
      t.equal(exact.json().items.length, 7)
      t.equal(exact.json().next_cursor, null, 'no empty last page')
    })

    t.test('the default page is 20', async (t) => {
      for (let i = 0; i < 14; i += 1) await registerUser(app)
      const res = await list('')
      t.equal(res.json().items.length, 20)
      t.type(res.json().next_cursor, 'string')
    })

    t.test('q is a case-insensitive prefix of the email or the username, wildcards taken literally', async (t) => {
      const byEmail = await list('?q=PAGER3%40EXAMPLE')
      t.same(byEmail.json().items.map((u: { username: string }) => u.username), ['pager_3'])
      const byUsername = await list('?q=Pager_4')
      t.same(byUsername.json().items.map((u: { username: string }) => u.username), ['pager_4'])
      const infix = await list('?q=ager')
      t.same(infix.json().items, [], 'not a substring search')
      for (const q of ['pager%25', 'pag_r', 'p%25']) {
        const res = await list(`?q=${q}`)
        t.equal(res.statusCode, 200)
        t.same(res.json().items, [], q)
      }
    })

    t.test('deleted accounts are not listed', async (t) => {
      const gone = await registerUser(app, { username: 'gone_listed' })
      t.equal((await list('?q=gone_listed')).json().items.length, 1)
      t.equal((await app.inject({ method: 'DELETE', url: `${USERS}/${gone.session.user.id}`, headers: asAdmin })).statusCode, 204)
      t.same((await list('?q=gone_listed')).json(), { items: [], next_cursor: null })
    })

    t.test('a bad cursor is 400 validation_failed', async (t) => {
      const forged = (text: string) => Buffer.from(text).toString('base64url')
      const id = randomUUID()
      for (const cursor of [
        'garbage',
        forged('2030-01-01T00:00:00.123456Z|not-a-uuid'),
        forged(`2030-02-30T00:00:00.123456Z|${id}`),
        forged(`2030-01-01T25:00:00.123456Z|${id}`),
        forged(`2030-01-01T00:00:00.123Z|${id}`),
        forged(`2030-01-01T00:00:00.123456Z|${id}|extra`),
        'bad!chars',
        'x'.repeat(201)
      ]) {
        const res = await list(`?cursor=${encodeURIComponent(cursor)}`)
        t.equal(res.statusCode, 400, cursor)
        t.match(res.json(), { status: 400, code: 'validation_failed', errors: [{ path: 'querystring/cursor' }] }, cursor)
      }
      const good = await list(`?cursor=${forged(`2030-01-01T00:00:00.123456Z|${id}`)}`)
      t.equal(good.statusCode, 200, 'a well-formed cursor of our own making is fine')
    })

    t.test('other bad query parameters are 400', async (t) => {
      const cases: Array<[string, string]> = [['?limit=0', 'querystring/limit'], ['?limit=101', 'querystring/limit'],
        ['?limit=ten', 'querystring/limit'], ['?q=', 'querystring/q'], ['?sort=email', 'querystring/sort']]
      for (const [query, path] of cases) {
        const res = await list(query)
        t.equal(res.statusCode, 400, query)
        t.match(res.json(), { code: 'validation_failed', errors: [{ path }] }, query)
      }
    })

    t.test('a plain user gets 403, no token 401', async (t) => {
      const forbidden = await list('', asPlain)
      t.equal(forbidden.statusCode, 403)
      t.match(forbidden.json(), { status: 403, code: 'forbidden', detail: 'This needs the permission users:read.' })
      const anonymous = await app.inject({ url: USERS })
      t.equal(anonymous.statusCode, 401)
      t.match(anonymous.json(), { status: 401, code: 'invalid_token' })
    })
  })

  t.test('GET /users/{id}', async (t) => {
    t.test('answers the account', async (t) => {
      const res = await app.inject({ url: `${USERS}/${plain.session.user.id}`, headers: asAdmin })
      t.equal(res.statusCode, 200)
      t.same(res.json(), plain.session.user)
    })

    t.test('users:read alone is enough to read, not to write', async (t) => {
      await app.db.insertInto('roles').values({ name: 'auditor', permissions: ['users:read'] }).execute()
      await app.roles.reload()
      const auditor = await userWithRoles(app, ['auditor'])
      const asAuditor = bearer(auditor.session.access_token)
      t.equal((await app.inject({ url: `${USERS}/${plain.session.user.id}`, headers: asAuditor })).statusCode, 200)
      const write = await patch(plain.session.user.id, { is_active: false }, asAuditor)
      t.equal(write.statusCode, 403)
      t.match(write.json(), { code: 'forbidden', detail: 'This needs the permission users:write.' })
      const del = await app.inject({ method: 'DELETE', url: `${USERS}/${plain.session.user.id}`, headers: asAuditor })
      t.equal(del.statusCode, 403)
      t.match(del.json(), { code: 'forbidden', detail: 'This needs the permission users:delete.' })
    })

    t.test('unknown is 404, malformed 400', async (t) => {
      const unknown = await app.inject({ url: `${USERS}/${randomUUID()}`, headers: asAdmin })
      t.equal(unknown.statusCode, 404)
      t.match(unknown.json(), { status: 404, code: 'not_found', detail: 'No such user.' })
      const bad = await app.inject({ url: `${USERS}/not-a-uuid`, headers: asAdmin })
      t.equal(bad.statusCode, 400)
      t.match(bad.json(), { code: 'validation_failed', errors: [{ path: 'params/id' }] })
    })

    t.test('a plain user gets 403, no token 401', async (t) => {
      const forbidden = await app.inject({ url: `${USERS}/${admin.id}`, headers: asPlain })
      t.equal(forbidden.statusCode, 403)
      t.match(forbidden.json(), { code: 'forbidden' })
      const anonymous = await app.inject({ url: `${USERS}/${admin.id}` })
      t.equal(anonymous.statusCode, 401)
      t.match(anonymous.json(), { code: 'invalid_token' })
    })
  })

  t.test('PATCH /users/{id}', async (t) => {
    t.test('deactivation ends every session at once; reactivation lets them log in again', async (t) => {
      const target = await registerUser(app)
      const second = await login(app, target.username, target.password)
      t.equal((await me(target.session.access_token)).statusCode, 200)

      const res = await patch(target.session.user.id, { is_active: false })
      t.equal(res.statusCode, 200)
      t.match(res.json(), { id: target.session.user.id, is_active: false, roles: ['user'] })

      for (const token of [target.session.access_token, second.access_token]) {
        const after = await me(token)
        t.equal(after.statusCode, 401, 'the very next request')
        t.match(after.json(), { status: 401, code: 'token_revoked' })
      }
      const refresh = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: second.refresh_token } })
      t.equal(refresh.statusCode, 401)
      t.match(refresh.json(), { code: 'invalid_refresh_token' })
      const denied = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: target.username, password: TEST_PASSWORD } })
      t.equal(denied.statusCode, 401)
      t.match(denied.json(), { code: 'invalid_credentials' })

      const again = await patch(target.session.user.id, { is_active: true })
      t.equal(again.statusCode, 200)
      t.equal(again.json().is_active, true)
      const fresh = await login(app, target.username, target.password)
      t.equal((await me(fresh.access_token)).statusCode, 200)
    })

    t.test('roles replace the set and reach the token at the next refresh', async (t) => {
      await app.db.insertInto('roles').values({ name: 'support', permissions: ['users:read'] }).execute()
      await app.roles.reload()
      const target = await registerUser(app)
      t.equal((await me(target.session.access_token)).json().roles.length, 1)

      const res = await patch(target.session.user.id, { roles: ['support', 'user'] })
      t.equal(res.statusCode, 200)
      t.same(res.json().roles, ['support', 'user'])
      t.not(res.json().updated_at, target.session.user.updated_at)
      t.same((await me(target.session.access_token)).json().roles, ['support', 'user'], 'the profile is fresh')
      const before = await app.inject({ url: USERS, headers: bearer(target.session.access_token) })
      t.equal(before.statusCode, 403, 'the old token still names only user')

      const refreshed = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: target.session.refresh_token } })
      const session: SessionBody = refreshed.json()
      t.same(claimsOf(session.access_token).roles, ['support', 'user'])
      t.equal((await app.inject({ url: USERS, headers: bearer(session.access_token) })).statusCode, 200)

      const replaced = await patch(target.session.user.id, { roles: ['support'] })
      t.same(replaced.json().roles, ['support'], 'user is not kept behind the caller\'s back')
      const none = await patch(target.session.user.id, { roles: [] })
      t.equal(none.statusCode, 200)
      t.same(none.json().roles, [])
      t.same((await app.inject({ url: `${USERS}/${target.session.user.id}`, headers: asAdmin })).json().roles, [])
    })

    t.test('both fields at once', async (t) => {
      const target = await registerUser(app)
      const res = await patch(target.session.user.id, { is_active: false, roles: ['user', 'support'] })
      t.equal(res.statusCode, 200)
      t.match(res.json(), { is_active: false, roles: ['support', 'user'] })
      t.equal((await me(target.session.access_token)).statusCode, 401)
    })

    t.test('bad input is 400 and changes nothing', async (t) => {
      const target = await registerUser(app)
      const cases: Array<[unknown, string]> = [
        [{ roles: ['user', 'no-such-role'] }, '/roles/1'],
        [{ roles: ['user', 'user'] }, '/roles'],
        [{ roles: ['Not A Role'] }, '/roles/0'],
        [{ roles: 'user' }, '/roles'],
        [{ is_active: 'false' }, '/is_active'],
        [{ is_active: false, email: 'x@example.com' }, '/email'],
        [{}, '/']
      ]
      for (const [payload, path] of cases) {
        const res = await patch(target.session.user.id, payload)
        t.equal(res.statusCode, 400, JSON.stringify(payload))
        t.match(res.json(), { status: 400, code: 'validation_failed', errors: [{ path }] }, JSON.stringify(payload))
      }
      const unknownRole = await patch(target.session.user.id, { roles: ['no-such-role'] })
      t.match(unknownRole.json(), { detail: 'Some roles do not exist.', errors: [{ path: '/roles/0', message: 'is not a known role: no-such-role' }] })
      const after = await app.inject({ url: `${USERS}/${target.session.user.id}`, headers: asAdmin })
      t.match(after.json(), { is_active: true, roles: ['user'] })
      const badId = await patch('not-a-uuid', { is_active: false })
      t.equal(badId.statusCode, 400)
      t.match(badId.json(), { code: 'validation_failed', errors: [{ path: 'params/id' }] })
    })

    t.test('unknown and deleted accounts are 404', async (t) => {
      const unknown = await patch(randomUUID(), { is_active: false })
      t.equal(unknown.statusCode, 404)
      t.match(unknown.json(), { code: 'not_found' })
      const gone = await registerUser(app)
      await app.inject({ method: 'DELETE', url: `${USERS}/${gone.session.user.id}`, headers: asAdmin })
      const deleted = await patch(gone.session.user.id, { is_active: true })
      t.equal(deleted.statusCode, 404)
      t.match(deleted.json(), { code: 'not_found' })
    })

    t.test('a plain user gets 403, no token 401, and nothing changes', async (t) => {
      const target = await registerUser(app)
      const forbidden = await patch(target.session.user.id, { roles: ['admin'] }, asPlain)
      t.equal(forbidden.statusCode, 403)
      t.match(forbidden.json(), { code: 'forbidden' })
      const selfPromotion = await patch(plain.session.user.id, { roles: ['admin'] }, asPlain)
      t.equal(selfPromotion.statusCode, 403)
      const anonymous = await app.inject({ method: 'PATCH', url: `${USERS}/${target.session.user.id}`, payload: { is_active: false } })
      t.equal(anonymous.statusCode, 401)
      t.match(anonymous.json(), { code: 'invalid_token' })
      t.same((await me(target.session.access_token)).json().roles, ['user'])
      t.same((await me(plain.session.access_token)).json().roles, ['user'])
    })
  })

  t.test('DELETE /users/{id}', async (t) => {
    t.test('soft-deletes: sessions end at once, the email and username are free again', async (t) => {
      const target = await registerUser(app)
      const res = await app.inject({ method: 'DELETE', url: `${USERS}/${target.session.user.id}`, headers: asAdmin })
      t.equal(res.statusCode, 204)
      t.equal(res.body, '')

      const after = await me(target.session.access_token)
      t.equal(after.statusCode, 401)
      t.match(after.json(), { code: 'token_revoked' })
      const denied = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: target.email, password: TEST_PASSWORD } })
      t.equal(denied.statusCode, 401)
      t.match(denied.json(), { code: 'invalid_credentials' })
      t.equal((await app.inject({ url: `${USERS}/${target.session.user.id}`, headers: asAdmin })).statusCode, 404)
      const twice = await app.inject({ method: 'DELETE', url: `${USERS}/${target.session.user.id}`, headers: asAdmin })
      t.equal(twice.statusCode, 404)
      t.match(twice.json(), { code: 'not_found' })

      const row = await app.db.selectFrom('users').select(['deleted_at']).where('id', '=', target.session.user.id).executeTakeFirstOrThrow()
      t.type(row.deleted_at, Date, 'the row is kept')
      const reused = await registerUser(app, { email: target.email, username: target.username })
      t.not(reused.session.user.id, target.session.user.id)
    })

    t.test('unknown is 404, malformed 400', async (t) => {
      const unknown = await app.inject({ method: 'DELETE', url: `${USERS}/${randomUUID()}`, headers: asAdmin })
      t.equal(unknown.statusCode, 404)
      t.match(unknown.json(), { code: 'not_found' })
      const bad = await app.inject({ method: 'DELETE', url: `${USERS}/123`, headers: asAdmin })
      t.equal(bad.statusCode, 400)
      t.match(bad.json(), { code: 'validation_failed', errors: [{ path: 'params/id' }] })
    })

    t.test('a plain user gets 403, no token 401, and the account stays', async (t) => {
      const target = await registerUser(app)
      const forbidden = await app.inject({ method: 'DELETE', url: `${USERS}/${target.session.user.id}`, headers: asPlain })
      t.equal(forbidden.statusCode, 403)
      t.match(forbidden.json(), { code: 'forbidden', detail: 'This needs the permission users:delete.' })
      const anonymous = await app.inject({ method: 'DELETE', url: `${USERS}/${target.session.user.id}` })
      t.equal(anonymous.statusCode, 401)
      t.match(anonymous.json(), { code: 'invalid_token' })
      t.equal((await me(target.session.access_token)).statusCode, 200)
    })
  })

  t.test('GET /users/me is still the caller\'s own profile', async (t) => {
    const res = await me(plain.session.access_token)
    t.equal(res.statusCode, 200)
    t.equal(res.json().id, plain.session.user.id)
  })

  t.test('the OpenAPI document shows the permission of each route', async (t) => {
    const doc = (await app.inject({ url: '/docs/json' })).json()
    t.same(doc.paths['/api/v1/users'].get['x-permissions'], ['users:read'])
    t.same(doc.paths['/api/v1/users/{id}'].get['x-permissions'], ['users:read'])
    t.same(doc.paths['/api/v1/users/{id}'].patch['x-permissions'], ['users:write'])
    t.same(doc.paths['/api/v1/users/{id}'].delete['x-permissions'], ['users:delete'])
    t.equal(doc.paths['/api/v1/users/me'].get['x-permissions'], undefined)
    const limit = doc.paths['/api/v1/users'].get.parameters.find((p: { name: string }) => p.name === 'limit')
    t.match(limit, { in: 'query', required: false, schema: { default: 20, minimum: 1, maximum: 100 } })
  })
})

t.test('protection rules', async (t) => {
  const app = await build(t)
  const a = await createAdmin(app)
  const b = await createAdmin(app)
  const plain = await registerUser(app)
  await app.db.insertInto('roles').values([
    { name: 'support', permissions: ['users:read'] },
    { name: 'user-manager', permissions: ['users:*'] }
  ]).execute()
  await app.roles.reload()
  const manager = await userWithRoles(app, ['user-manager'])
  const asA = bearer(a.session.access_token)
  const asB = bearer(b.session.access_token)
  const asManager = bearer(manager.session.access_token)

  const patch = (id: string, payload: object, headers: { authorization: string }) =>
    app.inject({ method: 'PATCH', url: `${USERS}/${id}`, headers, payload })
  const remove = (id: string, headers: { authorization: string }) => app.inject({ method: 'DELETE', url: `${USERS}/${id}`, headers })
  const read = async (id: string) => (await app.inject({ url: `${USERS}/${id}`, headers: asA })).json()

  t.test('callers cannot deactivate, delete or demote themselves here', async (t) => {
    const deactivate = await patch(a.id, { is_active: false }, asA)
    t.equal(deactivate.statusCode, 409)
    t.same(deactivate.json(), {
      type: 'urn:auth-service:problem:conflict',
      title: 'Conflict',
      status: 409,
      detail: 'You cannot deactivate your own account.',
      code: 'conflict'
    })
    const demote = await patch(a.id, { roles: ['user'] }, asA)
    t.equal(demote.statusCode, 409)
    t.match(demote.json(), { code: 'conflict', detail: 'You cannot take the admin role from your own account; another admin has to.' })
    const del = await remove(a.id, asA)
    t.equal(del.statusCode, 409)
    t.match(del.json(), { code: 'conflict', detail: 'You cannot delete your own account here; use DELETE /users/me.' })
    t.match(await read(a.id), { is_active: true, roles: ['admin', 'user'] }, 'nothing changed')

    const keep = await patch(a.id, { roles: ['admin', 'support', 'user'], is_active: true }, asA)
    t.equal(keep.statusCode, 200, 'changes that keep admin are fine')
    t.same(keep.json().roles, ['admin', 'support', 'user'])
  })

  t.test('an account with users:* cannot reach admin, nor touch an admin', async (t) => {
    const selfPromotion = await patch(manager.id, { roles: ['user-manager', 'admin'] }, asManager)
    t.equal(selfPromotion.statusCode, 403)
    t.match(selfPromotion.json(), { code: 'forbidden', detail: 'You can only give roles whose permissions you hold yourself.' })
    const promote = await patch(plain.session.user.id, { roles: ['admin'] }, asManager)
    t.equal(promote.statusCode, 403)
    for (const res of [await patch(a.id, { is_active: false }, asManager), await patch(a.id, { roles: ['user'] }, asManager), await remove(a.id, asManager)]) {
      t.equal(res.statusCode, 403)
      t.match(res.json(), { code: 'forbidden', detail: 'You can only manage accounts whose permissions you hold yourself.' })
    }
    t.match(await read(a.id), { is_active: true })
    t.same((await read(plain.session.user.id)).roles, ['user'])

    const within = await patch(plain.session.user.id, { roles: ['support', 'user'] }, asManager)
    t.equal(within.statusCode, 200, 'roles within its own permissions are fine')
    t.same(within.json().roles, ['support', 'user'])
  })

  t.test('the last active admin stays one', async (t) => {
    const demoted = await patch(b.id, { roles: ['user'] }, asA)
    t.equal(demoted.statusCode, 200, 'another admin remains')
    // A deactivated admin does not count.
    const c = await createAdmin(app)
    t.equal((await patch(c.id, { is_active: false }, asA)).statusCode, 200)

    // b's token names admin until it is refreshed, and a is now the only active admin.
    for (const res of [await patch(a.id, { roles: ['user'] }, asB), await patch(a.id, { is_active: false }, asB), await remove(a.id, asB)]) {
      t.equal(res.statusCode, 409)
      t.match(res.json(), { code: 'conflict', detail: 'This is the last active admin; make another account admin first.' })
    }
    t.match(await read(a.id), { is_active: true, roles: ['admin', 'support', 'user'] })
    t.equal((await patch(a.id, { roles: ['admin', 'user'] }, asB)).statusCode, 200, 'a change that keeps admin is fine')
  })

  t.test('two admins demoting each other at once leave one admin', async (t) => {
    const x = await createAdmin(app)
    const y = await createAdmin(app)
    t.equal((await patch(a.id, { roles: ['user'] }, bearer(x.session.access_token))).statusCode, 200, 'only x and y are admins now')

    // Holds each transaction right after it has locked its target, until the other one gets there too
    // (or a moment has passed): without a lock shared by both, each would see the other as the admin that remains.
    const held = new Set<unknown>()
    let arrived = 0
    let bothThere: () => void = () => {}
    const barrier = new Promise<void>((resolve) => { bothThere = resolve })
    const pauseAfterTargetLock: KyselyPlugin = {
      transformQuery: ({ node, queryId }: PluginTransformQueryArgs) => {
        if (SelectQueryNode.is(node) && node.endModifiers?.some((m) => m.modifier === 'ForUpdate') && JSON.stringify(node.from).includes('"users"')) held.add(queryId)
        return node
      },
      transformResult: async ({ queryId, result }: PluginTransformResultArgs) => {
        if (held.has(queryId)) {
          arrived += 1
          if (arrived === 2) bothThere()
          await Promise.race([barrier, new Promise((resolve) => setTimeout(resolve, 300))])
        }
        return result
      }
    }
    const service = createAdminUserService({
      db: app.db.withPlugin(pauseAfterTargetLock), users: app.users, sessions: app.sessions, revocations: app.revocations, revocationTtlSeconds: 960
    })
    const asAdmin = (id: string) => ({ id, permissions: new Set(['*']) })
    const outcomes = await Promise.allSettled([
      service.update(y.id, { roles: ['user'] }, asAdmin(x.id)),
      service.update(x.id, { roles: ['user'] }, asAdmin(y.id))
    ])
    t.same(outcomes.map((o) => o.status).sort(), ['fulfilled', 'rejected'])
    const failure = outcomes.find((o) => o.status === 'rejected')
    t.match(failure?.reason, { status: 409, code: 'conflict' })
    const admins = await app.db.selectFrom('user_roles').innerJoin('users', 'users.id', 'user_roles.user_id')
      .select('users.id').where('role_name', '=', 'admin').where('is_active', '=', true).where('deleted_at', 'is', null).execute()
    t.equal(admins.length, 1)
  })
})
