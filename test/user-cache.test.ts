/** The in-process user cache: a version bump is part of a write's success, and no entry lives unbounded. */
import t from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import { DependencyError } from '../src/errors.js'
import { bearer, build, registerUser } from './helpers/app.js'

t.test('an entry is read again after USER_CACHE_TTL even if the version bump never arrived', async (t) => {
  const app = await build(t, { USER_CACHE_TTL: '1' })
  const user = await registerUser(app)
  const me = async () => (await app.inject({ url: '/api/v1/users/me', headers: bearer(user.session.access_token) })).json().username
  t.equal(await me(), user.username)
  // A change whose bump was lost (another instance's write, Redis away at that moment).
  await app.db.updateTable('users').set({ username: `${user.username}x` }).where('id', '=', user.session.user.id).execute()
  t.equal(await me(), user.username, 'served from the cache meanwhile')
  await sleep(1100)
  t.equal(await me(), `${user.username}x`, 'the stale copy lived no longer than the TTL')
})

t.test('a version bump that fails once is tried again: the write succeeds and nobody serves the old copy', async (t) => {
  const app = await build(t)
  const user = await registerUser(app)
  const auth = bearer(user.session.access_token)
  const bump = app.revocations.bumpUserVersion.bind(app.revocations)
  let failures = 1
  app.revocations.bumpUserVersion = async (...args) => {
    if (failures > 0) {
      failures -= 1
      throw new DependencyError('redis', new Error('a blip'))
    }
    await bump(...args)
  }
  const res = await app.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: auth, payload: { username: `${user.username}y` } })
  t.equal(res.statusCode, 200)
  t.equal(failures, 0, 'the first bump failed')
  t.equal((await app.inject({ url: '/api/v1/users/me', headers: auth })).json().username, `${user.username}y`)
})

t.test('a bump that keeps failing fails the request', async (t) => {
  const app = await build(t)
  const user = await registerUser(app)
  app.revocations.bumpUserVersion = async () => { throw new DependencyError('redis', new Error('down')) }
  const res = await app.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: bearer(user.session.access_token), payload: { username: `${user.username}z` } })
  t.equal(res.statusCode, 503)
  t.equal(res.json().code, 'unavailable')
})
