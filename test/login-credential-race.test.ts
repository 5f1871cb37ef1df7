/**
 * A login verifies the password against the hash it read, then may upgrade that hash. A password
 * reset committed while argon2 ran must win: the upgrade only replaces the hash it verified.
 */
import t from 'tap'
import { build, registerUser, TEST_PASSWORD } from './helpers/app.js'

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
  await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: user.username, password: TEST_PASSWORD } })
  app.passwords.verify = verify
  const stored = await app.db.selectFrom('users').select('password_hash').where('id', '=', user.session.user.id).executeTakeFirstOrThrow()
  t.equal(stored.password_hash, resetTo, 'the reset password stays')
})
