import { randomUUID } from 'node:crypto'
import t from 'tap'
import { bearer, build, registerUser, TEST_PASSWORD } from './helpers/app.js'
import { createAdmin, userWithRoles } from './helpers/admin.js'
import { enableTotp, testClock } from './helpers/mfa.js'

t.test('an admin removes every second factor of an account (a lost phone)', async (t) => {
  const clock = testClock()
  const app = await build(t, {}, { clock })
  const admin = await createAdmin(app)
  const writer = await userWithRoles(app, ['user'])
  const user = await registerUser(app)
  await enableTotp(app, clock, user.session)
  const reset = (id: string, token = admin.session.access_token) =>
    app.inject({ method: 'DELETE', url: `/api/v1/users/${id}/mfa`, headers: bearer(token) })

  const forbidden = await reset(user.session.user.id, writer.session.access_token)
  t.equal(forbidden.statusCode, 403, 'needs users:write')
  t.equal((await reset(randomUUID())).statusCode, 404, 'an unknown account')

  const res = await reset(user.session.user.id)
  t.equal(res.statusCode, 204)
  const me = await app.inject({ url: '/api/v1/users/me', headers: bearer(user.session.access_token) })
  t.equal(me.statusCode, 401)
  t.match(me.json(), { code: 'token_revoked' }, "the user's sessions end")
  const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: user.username, password: TEST_PASSWORD } })
  t.equal(login.statusCode, 200, 'the password alone signs in again')
  t.equal((await app.inject({ url: '/api/v1/users/me/mfa', headers: bearer(login.json<{ access_token: string }>().access_token) })).json<{ totp: boolean }>().totp, false)
  const left = await app.db.selectFrom('mfa_recovery_codes').select('code_hash').where('user_id', '=', user.session.user.id).execute()
  t.equal(left.length, 0, 'the recovery codes are gone too')

  await app.background.idle()
  const events = await app.db.selectFrom('auth_events').select(['type', 'details']).where('user_id', '=', user.session.user.id)
    .where('type', '=', 'mfa_reset_by_admin').execute()
  t.strictSame(events.map((e) => e.details), [{ reset_by: admin.id }], 'audited with the admin who did it')

  t.equal((await reset(user.session.user.id)).statusCode, 204, 'an account without factors: nothing to do, no error')
})
