/**
 * DESIGN.md, Redis down: revocation checks fail closed (503), rate limiting fails open with an error
 * log, readiness goes 503, nothing answers 500, and it all recovers without a restart. Against a
 * private redis-server that the test kills under traffic and starts again on the same port.
 */
import t from 'tap'
import { registerUser, TEST_PASSWORD, uniqueName } from './helpers/app.js'
import { buildWithLogs, eventually, redisServerMissing, startRedisServer, probeRequests, startTraffic } from './helpers/failure.js'

t.test('Redis dies under traffic and comes back', { skip: redisServerMissing() }, async (t) => {
  const redis = await startRedisServer()
  t.teardown(() => redis.kill())
  const { app, logs } = await buildWithLogs(t, {
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: `${uniqueName('failure')}:`,
    RATE_LIMIT_MAX: '100000'
  })
  const user = await registerUser(app)
  const { me, login, readiness, anonymous, mix } = probeRequests(app, user)

  t.equal((await me()).statusCode, 200, 'healthy to begin with')
  t.equal((await readiness()).statusCode, 200)
  t.equal((await anonymous()).headers['x-ratelimit-limit'], '100000', 'limits are counted in Redis')

  const traffic = startTraffic(mix)
  await new Promise((resolve) => setTimeout(resolve, 300))
  await redis.kill()

  t.ok(await eventually(async () => (await me()).statusCode === 503, 10_000), 'the access check notices Redis is gone')

  const closed = await me()
  t.equal(closed.statusCode, 503, 'revocation checks fail closed')
  t.equal(closed.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.match(closed.json(), { code: 'unavailable', status: 503 })
  t.ok(closed.headers['retry-after'], 'with Retry-After')

  const open = await anonymous()
  t.equal(open.statusCode, 404, 'rate limiting fails open')
  t.equal(open.headers['x-ratelimit-limit'], undefined, 'nothing was counted')
  const loggedIn = await login(TEST_PASSWORD)
  t.equal(loggedIn.statusCode, 200, 'login (per-IP limit and account throttle) fails open too')
  t.ok(logs.some((l) => l.level === 50 && l.msg === 'rate limit store unavailable: request let through'), 'the limiter logged an error')
  t.ok(logs.some((l) => l.level === 50 && l.msg === 'login throttle store unavailable: attempt let through'), 'the throttle logged an error')

  const notReady = await readiness()
  t.equal(notReady.statusCode, 503, 'readiness goes 503')
  t.match(notReady.json(), { status: 'error', checks: { redis: { status: 'error' }, database: { status: 'ok' } } })
  t.equal((await app.inject({ url: '/health/liveness' })).statusCode, 200, 'the process is alive')

  await redis.start()
  t.ok(await eventually(async () => (await me()).statusCode === 200, 15_000), 'the access check recovers by itself')
  t.ok(await eventually(async () => (await readiness()).statusCode === 200, 5_000), 'readiness recovers')
  t.equal((await anonymous()).headers['x-ratelimit-limit'], '100000', 'limits are counted again')

  const seen = await traffic.stop()
  const statuses = (name: string) => new Set(seen.get(name))
  t.ok((seen.get('me')?.length ?? 0) > 0, 'traffic ran')
  t.same([...statuses('me')].filter((s) => s !== 200 && s !== 503), [], '/users/me answered 200 or 503, never anything else')
  t.same([...statuses('anonymous')], [404], 'the public route never failed')
  t.same([...statuses('login')].filter((s) => s !== 401), [], 'a wrong password was always 401')
  t.same([...statuses('readiness')].filter((s) => s !== 200 && s !== 503), [])
  t.ok(statuses('me').has(503) && statuses('readiness').has(503), 'the outage was seen by the traffic')
})
