import t from 'tap'
import { createPasswordHasher } from '../src/services/password-hasher.js'
import { build, registerUser, TEST_PASSWORD } from './helpers/app.js'

const paramsOf = (hash: string): string | undefined => /^\$argon2id\$v=19\$(m=\d+,t=\d+,p=\d+)\$/.exec(hash)?.[1]

t.test('a hash with outdated parameters is upgraded on the next successful login', async (t) => {
  // The test app hashes with m=1024, t=1, p=1 (TEST_ENV); this stands in for an older configuration.
  const app = await build(t)
  const older = createPasswordHasher({ memoryCost: 2048, timeCost: 2, parallelism: 1 }, 1)
  const user = await registerUser(app)
  const userId = user.session.user.id
  const storedHash = async () => (await app.db.selectFrom('users').select('password_hash').where('id', '=', userId).executeTakeFirstOrThrow()).password_hash
  t.equal(paramsOf(await storedHash()), 'm=1024,t=1,p=1')

  const outdated = await older.hash(TEST_PASSWORD)
  await app.users.setPasswordHash(userId, outdated)
  const login = (password: string) => app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: user.username, password } })

  t.equal((await login('not the password')).statusCode, 401)
  t.equal(await storedHash(), outdated, 'a failed login changes nothing')

  const updatedAt = async () => (await app.db.selectFrom('users').select('updated_at').where('id', '=', userId).executeTakeFirstOrThrow()).updated_at.getTime()
  const updatedBefore = await updatedAt()
  t.equal((await login(TEST_PASSWORD)).statusCode, 200, 'the outdated hash still verifies')
  const upgraded = await storedHash()
  t.equal(await updatedAt(), updatedBefore, 'an upgrade is no change the owner can see: updated_at stays')
  t.not(upgraded, outdated)
  t.equal(paramsOf(upgraded), 'm=1024,t=1,p=1', 'rehashed with the configured parameters')

  t.equal((await login(TEST_PASSWORD)).statusCode, 200, 'the upgraded hash verifies')
  t.equal(await storedHash(), upgraded, 'a current hash is left alone')
})
