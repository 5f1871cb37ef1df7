/**
 * A login verifies the password against the hash it read, then starts a session. A password reset
 * committed while argon2 ran must win: the session starts only while the verified hash is still
 * the account's.
 */
import t from 'tap'
import { build, registerUser, TEST_PASSWORD } from './helpers/app.js'

t.test('a login in flight does not survive a password reset', async (t) => {
  const app = await build(t)
  const user = await registerUser(app)
  const resetTo = await app.passwords.hash('a completely new passphrase')
  // The reset commits at the worst moment: after this login's password check, before its session.
  const verify = app.passwords.verify.bind(app.passwords)
  app.passwords.verify = async (hash, password) => {
    const valid = await verify(hash, password)
    await app.users.setPasswordHash(user.session.user.id, resetTo)
    return valid
  }
  const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: user.username, password: TEST_PASSWORD } })
  t.equal(res.statusCode, 401)
  t.equal(res.json().code, 'invalid_credentials')
  app.passwords.verify = verify
  const sessions = await app.db.selectFrom('sessions').select('id').where('user_id', '=', user.session.user.id).execute()
  t.equal(sessions.length, 1, 'no session was started: only the one of the registration')
  const fresh = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: user.username, password: 'a completely new passphrase' } })
  t.equal(fresh.statusCode, 200, 'the new password works')
})

t.test('the argon2 upgrade of an old hash never overwrites a reset that came first', async (t) => {
  const app = await build(t)
  const user = await registerUser(app)
  // An old hash (cheaper parameters than the app's): the next login re-hashes it.
  const { createPasswordHasher } = await import('../src/services/password-hasher.js')
  const old = await createPasswordHasher({ memoryCost: 2048, timeCost: 1, parallelism: 1 }, 1).hash(TEST_PASSWORD)
  await app.users.setPasswordHash(user.session.user.id, old)
  const resetTo = await app.passwords.hash('a completely new passphrase')
  const verify = app.passwords.verify.bind(app.passwords)
  app.passwords.verify = async (hash, password) => {
    const valid = await verify(hash, password)
    await app.users.setPasswordHash(user.session.user.id, resetTo)
    return valid
  }
  const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: user.username, password: TEST_PASSWORD } })
  t.equal(res.statusCode, 401)
  app.passwords.verify = verify
  const stored = await app.db.selectFrom('users').select('password_hash').where('id', '=', user.session.user.id).executeTakeFirstOrThrow()
  t.equal(stored.password_hash, resetTo, 'the reset password stays')
})
