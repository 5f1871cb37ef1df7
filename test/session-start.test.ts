import t from 'tap'
import { build, registerUser } from './helpers/app.js'

t.test('a session starts only for a live, active account', async (t) => {
  const app = await build(t)
  const origin = { userAgent: 'test', ip: '192.0.2.1' }
  const { session } = await registerUser(app)
  const userId = session.user.id

  const started = await app.sessions.start(userId, origin, ['pwd'])
  t.equal(started?.user.id, userId, 'an active account gets a session')

  // A login that looked the account up just before an admin deactivated it.
  await app.db.updateTable('users').set({ is_active: false }).where('id', '=', userId).execute()
  const before = await app.db.selectFrom('sessions').select('id').where('user_id', '=', userId).execute()
  t.equal(await app.sessions.start(userId, origin, ['pwd']), undefined, 'a deactivated account gets none')
  const after = await app.db.selectFrom('sessions').select('id').where('user_id', '=', userId).execute()
  t.equal(after.length, before.length, 'and no session row is left behind')

  await app.db.updateTable('users').set({ is_active: true, deleted_at: new Date() }).where('id', '=', userId).execute()
  t.equal(await app.sessions.start(userId, origin, ['pwd']), undefined, 'a deleted account gets none')
})
