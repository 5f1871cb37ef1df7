import { randomUUID } from 'node:crypto'
import t, { type Test } from 'tap'
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs } from 'kysely'
import { buildApp, type App } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { covers, createRoleService, grants } from '../src/services/roles.js'
import { bearer, testEnv } from './helpers/app.js'
import { restoredPglite } from './helpers/pglite-template.js'

t.test('grants: exact permissions, resource wildcards and *', async (t) => {
  const held = (...p: string[]) => new Set(p)
  t.ok(grants(held('users:read'), 'users:read'))
  t.notOk(grants(held('users:read'), 'users:write'))
  t.ok(grants(held('users:*'), 'users:delete'))
  t.notOk(grants(held('users:*'), 'roles:read'))
  t.ok(grants(held('*'), 'roles:write'))
  t.ok(grants(held('*'), '*'))
  t.ok(grants(held('users:*'), 'users:*'), 'a wildcard grants itself')
  t.notOk(grants(held('users:read'), 'users:*'), 'one action does not grant the wildcard')
  t.notOk(grants(held('users:*', 'roles:*'), '*'), 'every known resource is still not everything')
  t.notOk(grants(held(), 'users:read'))
  t.ok(covers(held('users:*'), ['users:read', 'users:write']))
  t.notOk(covers(held('users:*'), ['users:read', 'roles:read']))
  t.ok(covers(held(), []))
})

/** The real app plus a probe route behind the guard, registered before `ready` like any route. */
async function appWithProbe (t: Test): Promise<App> {
  const env = await testEnv(t)
  const database = env.DATABASE_URL === 'memory://' ? await restoredPglite() : undefined
  const app = await buildApp({ config: loadConfig(env), ...(database === undefined ? {} : { database }) })
  t.teardown(() => app.close())
  app.get('/probe', {
    onRequest: [app.authenticate, app.requirePermission('users:read')],
    schema: { summary: 'Probe', description: 'A probe.', security: [{ bearerAuth: [] }] }
  }, async () => ({ ok: true }))
  app.get('/unguarded-probe', { onRequest: app.requirePermission('roles:read') }, async () => ({ ok: true }))
  await app.ready()
  return app
}

function tokenWith (app: App, roles: string[]): string {
  return app.accessTokens.issue(randomUUID(), randomUUID(), roles, ['pwd']).token
}

t.test('the permission guard', async (t) => {
  const app = await appWithProbe(t)
  await app.db.insertInto('roles').values([
    { name: 'auditor', permissions: ['users:read'] },
    { name: 'user-manager', permissions: ['users:*'] },
    { name: 'role-manager', permissions: ['roles:*'] }
  ]).execute()
  await app.roles.reload()
  const probe = (token?: string) => app.inject({ url: '/probe', headers: token === undefined ? {} : bearer(token) })

  t.test('answers 401 without a token', async (t) => {
    const res = await probe()
    t.equal(res.statusCode, 401)
    t.match(res.json(), { status: 401, code: 'invalid_token' })
  })

  t.test('answers 403 forbidden when no role of the token grants the permission', async (t) => {
    for (const roles of [['user'], [], ['role-manager'], ['no-such-role']]) {
      const res = await probe(tokenWith(app, roles))
      t.equal(res.statusCode, 403, roles.join(','))
      t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
      t.same(res.json(), {
        type: 'urn:auth-service:problem:forbidden',
        title: 'Forbidden',
        status: 403,
        detail: 'This needs the permission users:read.',
        code: 'forbidden'
      })
    }
  })

  t.test('lets through a role with the permission, a resource wildcard, or *', async (t) => {
    for (const roles of [['auditor'], ['user', 'user-manager'], ['admin']]) {
      const res = await probe(tokenWith(app, roles))
      t.equal(res.statusCode, 200, roles.join(','))
      t.same(res.json(), { ok: true })
    }
  })

  t.test('fails closed when a route forgot app.authenticate', async (t) => {
    const res = await app.inject({ url: '/unguarded-probe', headers: bearer(tokenWith(app, ['admin'])) })
    t.equal(res.statusCode, 401)
    t.match(res.json(), { code: 'invalid_token' })
  })

  t.test('reads the cached roles, not the database, until they are reloaded', async (t) => {
    await app.db.deleteFrom('roles').where('name', '=', 'auditor').execute()
    const token = tokenWith(app, ['auditor'])
    t.equal((await probe(token)).statusCode, 200, 'still cached')
    await app.roles.reload()
    t.equal((await probe(token)).statusCode, 403, 'gone after the reload')
  })

  t.test('the OpenAPI document names the permission of the route', async (t) => {
    const doc = (await app.inject({ url: '/docs/json' })).json()
    const op = doc.paths['/probe'].get
    t.same(op['x-permissions'], ['users:read'])
    t.equal(op.description, 'A probe.\n\nRequires the permission `users:read`.')
    t.same(op.security, [{ bearerAuth: [] }, { oauth2: [] }])
  })
})

t.test('the role cache reloads in the background once it is older than the TTL', async (t) => {
  const { db } = await restoredPglite()
  let clock = 1_000_000
  const reloadErrors: unknown[] = []
  const roles = createRoleService({ db, ttlSeconds: 30, now: () => clock, usersChanged: async () => {}, onReloadError: (err) => reloadErrors.push(err) })
  await roles.reload()
  t.ok(roles.allows(['admin'], 'users:read'))
  t.notOk(roles.allows(['auditor'], 'users:read'))

  // Another instance creates a role.
  await db.insertInto('roles').values({ name: 'auditor', permissions: ['users:read'] }).execute()
  clock += 29_000
  t.notOk(roles.allows(['auditor'], 'users:read'), 'fresh enough: no reload')
  await roles.idle()
  t.notOk(roles.allows(['auditor'], 'users:read'))
  clock += 1_000
  t.notOk(roles.allows(['auditor'], 'users:read'), 'this request is served from the old map')
  await roles.idle()
  t.ok(roles.allows(['auditor'], 'users:read'), 'the background reload brought the new role')
  t.same([...roles.permissionsOf(['auditor', 'user'])], ['users:read'])

  // The database goes away: the last map keeps answering, and it is retried once per TTL, not per request.
  await db.destroy()
  clock += 30_000
  t.ok(roles.allows(['auditor'], 'users:read'))
  await roles.idle()
  t.equal(reloadErrors.length, 1)
  t.ok(roles.allows(['auditor'], 'users:read'))
  await roles.idle()
  t.equal(reloadErrors.length, 1, 'no retry before the TTL has passed again')
})

t.test('a reload that finishes after a newer one does not overwrite it', async (t) => {
  const { db } = await restoredPglite()
  t.teardown(() => db.destroy())
  // Holds back the result of the first query until released.
  let release: () => void = () => {}
  const gate = new Promise<void>((resolve) => { release = resolve })
  let queries = 0
  const slowFirst: KyselyPlugin = {
    transformQuery: (args: PluginTransformQueryArgs) => args.node,
    transformResult: async (args: PluginTransformResultArgs) => {
      queries += 1
      if (queries === 1) await gate
      return args.result
    }
  }
  const roles = createRoleService({ db: db.withPlugin(slowFirst), ttlSeconds: 30, usersChanged: async () => {}, onReloadError: () => {} })
  const older = roles.reload()
  await db.insertInto('roles').values({ name: 'auditor', permissions: ['users:read'] }).execute()
  await roles.reload()
  t.ok(roles.allows(['auditor'], 'users:read'))
  release()
  await older
  t.ok(roles.allows(['auditor'], 'users:read'), 'the older, slower load was dropped')
})
