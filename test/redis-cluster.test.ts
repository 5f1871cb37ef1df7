import t from 'tap'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { createRedisClient, type RedisClient } from '../src/stores/redis-client.js'
import { createRedisCounterStore } from '../src/stores/redis-counter-store.js'
import { createRedisEphemeralStore } from '../src/stores/redis-ephemeral-store.js'
import { createRedisRevocationStore } from '../src/stores/redis-revocation-store.js'
import { keys } from '../src/stores/revocation-store.js'
import { bearer, build, realDatabaseUrl, registerUser, testEnv, TEST_ENV, uniqueName } from './helpers/app.js'
import { eventually } from './helpers/failure.js'
import { redisClusterMissing, startRedisCluster } from './helpers/redis-cluster.js'

const missing = redisClusterMissing()

t.test('on a real 3-master Redis Cluster', { skip: missing ?? false, timeout: 240_000 }, async (t) => {
  const cluster = await startRedisCluster(t)
  const clusterEnv = { REDIS_CLUSTER_NODES: cluster.nodes.join(','), REDIS_KEY_PREFIX: `${uniqueName('cluster')}:` }

  const client = async (): Promise<RedisClient> => {
    const redis = createRedisClient(loadConfig({ ...TEST_ENV, ...clusterEnv }))
    if (redis === undefined) throw new Error('no client')
    t.teardown(() => { redis.disconnect() })
    // Commands are refused, not queued, until the client knows the slots.
    await once(redis, 'ready')
    return redis
  }

  t.test('the stores work through the Cluster client', async (t) => {
    const redis = await client()
    const revocations = createRedisRevocationStore(redis)
    const [user, session, other] = [randomUUID(), randomUUID(), randomUUID()]
    await revocations.revokeSessions(user, [session, other], 60)
    await revocations.revokeUserTokensBefore(user, 1_700_000_000, 60)
    await revocations.bumpUserVersion(user, 'v1', 60)
    t.strictSame(await revocations.check(user, session), { sessionRevoked: true, notBefore: 1_700_000_000, userVersion: 'v1' },
      'the one MGET of the access check reads the three keys of a user in one slot')
    t.equal(await revocations.claimUserVersion(user, 'v2', 60), 'v1')
    await revocations.ping()
    const counters = createRedisCounterStore(redis)
    t.equal((await counters.hit(`throttle:${randomUUID()}`, 60)).count, 1)
    const ephemeral = createRedisEphemeralStore(redis)
    await ephemeral.put('challenge', 'x', 60)
    t.same(await Promise.all([ephemeral.take('challenge'), ephemeral.take('challenge')]).then((r) => r.sort()), ['x', null].sort(), 'single use holds')
  })

  t.test('every key of one user shares one slot, the rate-limit counter too', async (t) => {
    const redis = await client()
    const user = randomUUID()
    const slotOf = async (key: string) => await redis.cluster('KEYSLOT', `${clusterEnv.REDIS_KEY_PREFIX}${key}`) as number
    const slots = await Promise.all([
      slotOf(keys.session(user, randomUUID())),
      slotOf(keys.userNotBefore(user)),
      slotOf(keys.userVersion(user)),
      slotOf(`rl:all|user:{${user}}`)
    ])
    t.equal(new Set(slots).size, 1, `slots ${slots.join(', ')}`)
    const others = await Promise.all(Array.from({ length: 8 }, () => slotOf(keys.userVersion(randomUUID()))))
    t.ok(new Set(others).size > 1, 'different users spread over the slots')
  })

  t.test('an app on the cluster: the access check and logout', async (t) => {
    const app = await build(t, clusterEnv)
    const { session } = await registerUser(app)
    const me = () => app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(session.access_token) })
    t.equal((await me()).statusCode, 200)
    t.equal((await app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: bearer(session.access_token), payload: {} })).statusCode, 204)
    const after = await me()
    t.equal(after.statusCode, 401)
    t.equal(after.json().code, 'token_revoked')
  })

  t.test('two instances share revocations and limits through the cluster', { skip: realDatabaseUrl === undefined && 'two instances need one PostgreSQL database: set TEST_DATABASE_URL' }, async (t) => {
    const env = await testEnv(t, { ...clusterEnv, RATE_LIMIT_MAX: '4' })
    const a = await buildApp({ config: loadConfig(env) })
    t.teardown(() => a.close())
    const b = await buildApp({ config: loadConfig(env) })
    t.teardown(() => b.close())
    const { session } = await registerUser(a)
    const meOn = (app: typeof a) => app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(session.access_token) })
    t.equal((await meOn(b)).statusCode, 200, 'B trusts a token A issued')
    t.equal((await meOn(a)).statusCode, 200)
    t.equal((await meOn(b)).statusCode, 200)
    t.equal((await meOn(a)).statusCode, 200, 'four requests, two on each instance: the limit')
    t.equal((await meOn(b)).statusCode, 429, 'the fifth is over the per-user limit counted across instances')
    const other = await registerUser(a)
    t.equal((await b.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: bearer(other.session.access_token), payload: {} })).statusCode, 204)
    const revoked = await a.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(other.session.access_token) })
    t.equal(revoked.json().code, 'token_revoked', 'a logout on B is seen by A at once')
  })

  t.test('a master killed: the access check fails closed, then recovers by itself', async (t) => {
    const app = await build(t, clusterEnv)
    const { session } = await registerUser(app)
    const me = () => app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(session.access_token) })
    t.equal((await me()).statusCode, 200)
    await cluster.kill(0)
    t.ok(await eventually(async () => (await me()).statusCode === 503, 15_000), 'a cluster missing a master answers 503, never 200 unchecked')
    const statuses = new Set<number>()
    for (let i = 0; i < 10; i++) statuses.add((await me()).statusCode)
    t.notOk(statuses.has(500), 'never a 500')
    await cluster.start(0)
    t.ok(await eventually(async () => (await me()).statusCode === 200, 30_000), 'back to 200 without a restart')
  })
})
