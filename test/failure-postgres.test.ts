/**
 * DESIGN.md, database down: requests that need it answer 503, readiness goes 503, the process stays
 * up, nothing answers 500, and it recovers by itself. Against a private PostgreSQL cluster that the
 * test crashes under traffic (`pg_ctl stop -m immediate`) and starts again on the same port.
 */
import t from 'tap'
import { registerUser, TEST_PASSWORD } from './helpers/app.js'
import { buildWithLogs, eventually, startPostgresCluster, probeRequests, startTraffic } from './helpers/failure.js'

const cluster = await startPostgresCluster()
const skip = typeof cluster === 'string' && `no private PostgreSQL cluster: ${cluster}`

t.test('PostgreSQL dies under traffic and comes back', { skip }, async (t) => {
  if (typeof cluster === 'string') return
  t.teardown(() => cluster.destroy())
  const { app } = await buildWithLogs(t, { DATABASE_URL: cluster.url, DATABASE_POOL_SIZE: '4' })
  const user = await registerUser(app)
  const { me, login, readiness, anonymous, mix } = probeRequests(app, user)

  t.equal((await me()).statusCode, 200, 'healthy to begin with (and the user is cached)')
  t.equal((await readiness()).statusCode, 200)

  const traffic = startTraffic(mix)
  await new Promise((resolve) => setTimeout(resolve, 300))
  await cluster.kill()

  t.ok(await eventually(async () => (await login(TEST_PASSWORD)).statusCode === 503, 15_000), 'login notices the database is gone')
  const down = await login(TEST_PASSWORD)
  t.equal(down.statusCode, 503, 'a request that needs the database answers 503')
  t.equal(down.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.match(down.json(), { code: 'unavailable', status: 503 })
  t.ok(down.headers['retry-after'], 'with Retry-After')

  const notReady = await readiness()
  t.equal(notReady.statusCode, 503, 'readiness goes 503')
  t.match(notReady.json(), { status: 'error', checks: { database: { status: 'error' } } })
  t.equal((await app.inject({ url: '/health/liveness' })).statusCode, 200, 'the process stays up')
  t.equal((await me()).statusCode, 200, 'the hot path needs no database: /users/me is served from the user cache')
  t.equal((await anonymous()).statusCode, 404)

  await cluster.start()
  t.ok(await eventually(async () => (await login(TEST_PASSWORD)).statusCode === 200, 30_000, 250), 'logins recover by themselves')
  t.ok(await eventually(async () => (await readiness()).statusCode === 200, 10_000), 'readiness recovers')

  const seen = await traffic.stop()
  const statuses = (name: string) => new Set(seen.get(name))
  t.ok((seen.get('login')?.length ?? 0) > 0, 'traffic ran')
  t.same([...statuses('login')].filter((s) => s !== 401 && s !== 503), [], 'a wrong password answered 401 or 503, never anything else')
  t.same([...statuses('me')], [200], '/users/me never failed')
  t.same([...statuses('anonymous')], [404])
  t.same([...statuses('readiness')].filter((s) => s !== 200 && s !== 503), [])
  t.ok(statuses('login').has(503) && statuses('readiness').has(503), 'the outage was seen by the traffic')
})
