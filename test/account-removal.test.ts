import t from 'tap'
import { createAdmin } from './helpers/admin.js'
import { bearer, build } from './helpers/app.js'

t.test('DELETE /users/me cannot remove the last active admin', async (t) => {
  const app = await build(t)
  const admin = await createAdmin(app)
  const remove = (token: string, password: string) => app.inject({
    method: 'DELETE', url: '/api/v1/users/me', headers: bearer(token), payload: { password }
  })

  const refused = await remove(admin.session.access_token, admin.password)
  t.equal(refused.statusCode, 409)
  t.equal(refused.json().code, 'conflict')
  t.match(refused.json().detail, /last active admin/)
  const me = await app.inject({ url: '/api/v1/users/me', headers: bearer(admin.session.access_token) })
  t.equal(me.statusCode, 200, 'a refusal leaves the account and its session alone')
  t.same(me.json().roles, ['admin', 'user'])

  await createAdmin(app)
  const removed = await remove(admin.session.access_token, admin.password)
  t.equal(removed.statusCode, 204, 'with another admin, the account can go')
})

t.test('an admin deleting an account leaves an account_deleted row naming the admin', async (t) => {
  const app = await build(t)
  const admin = await createAdmin(app)
  const { session } = await createAdmin(app)
  const res = await app.inject({ method: 'DELETE', url: `/api/v1/users/${session.user.id}`, headers: bearer(admin.session.access_token) })
  t.equal(res.statusCode, 204)
  await app.background.idle()
  const rows = await app.db.selectFrom('auth_events').select(['type', 'details', 'ip'])
    .where('user_id', '=', session.user.id).where('type', '=', 'account_deleted').execute()
  t.same(rows, [{ type: 'account_deleted', details: { deleted_by: admin.id }, ip: '127.0.0.1' }])
})
