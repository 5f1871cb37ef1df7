import t, { type Test } from 'tap'
import { Redis } from 'ioredis'
import { DependencyError } from '../src/errors.js'
import type { EphemeralStore } from '../src/stores/ephemeral-store.js'
import { createMemoryEphemeralStore } from '../src/stores/memory-ephemeral-store.js'
import { createRedisEphemeralStore } from '../src/stores/redis-ephemeral-store.js'
import { build, realRedisUrl, uniqueName } from './helpers/app.js'

interface Subject {
  store: EphemeralStore
  /** Lets `seconds` pass for the store's expiries. */
  advance: (seconds: number) => Promise<void>
}

/** The behaviour every EphemeralStore must have, whatever keeps the values. */
function behaviour (t: Test, kind: 'memory' | 'redis', open: (t: Test) => Promise<Subject>): void {
  t.test(`${kind}: put, peek, take, then nothing`, async (t) => {
    const { store } = await open(t)
    t.equal(store.kind, kind)
    t.equal(await store.take('missing'), null, 'an unknown key takes nothing')
    await store.put('k', 'v1', 60)
    t.equal(await store.peek('k'), 'v1', 'peek reads')
    t.equal(await store.peek('k'), 'v1', 'and does not consume')
    await store.put('k', 'v2', 60)
    t.equal(await store.take('k'), 'v2', 'a second put replaces the value')
    t.equal(await store.take('k'), null, 'a value is taken once')
    t.equal(await store.peek('k'), null)
  })

  t.test(`${kind}: delete forgets a value`, async (t) => {
    const { store } = await open(t)
    await store.put('a', 'x', 60)
    await store.put('b', 'y', 60)
    await store.delete('a')
    await store.delete('never-there')
    t.equal(await store.take('a'), null)
    t.equal(await store.take('b'), 'y', 'other keys are untouched')
  })

  t.test(`${kind}: of concurrent takes exactly one gets the value`, async (t) => {
    const { store } = await open(t)
    await store.put('race', 'prize', 60)
    const results = await Promise.all(Array.from({ length: 20 }, () => store.take('race')))
    t.equal(results.filter((r) => r === 'prize').length, 1)
    t.equal(results.filter((r) => r === null).length, 19)
  })

  t.test(`${kind}: a value expires after its time to live`, async (t) => {
    const { store, advance } = await open(t)
    await store.put('short', 'x', 1)
    await store.put('long', 'y', 60)
    await advance(1.2)
    t.equal(await store.peek('short'), null, 'expired for peek')
    t.equal(await store.take('short'), null, 'and for take')
    t.equal(await store.take('long'), 'y', 'a longer life is kept')
  })

  t.test(`${kind}: values keep any text`, async (t) => {
    const { store } = await open(t)
    const value = JSON.stringify({ user: 'ü\u{1F600}', nul: '\u0000' })
    await store.put('json', value, 60)
    t.equal(await store.take('json'), value)
  })
}

behaviour(t, 'memory', async () => {
  let now = 1_000_000
  return {
    store: createMemoryEphemeralStore(() => now),
    advance: async (seconds) => { now += seconds * 1000 }
  }
})

t.test('memory: the number of values is bounded', async (t) => {
  const store = createMemoryEphemeralStore(Date.now, 2)
  await store.put('a', '1', 60)
  await store.put('b', '2', 60)
  await store.put('c', '3', 60)
  t.equal(await store.take('a'), null, 'the least recently used value was forgotten')
  t.equal(await store.take('c'), '3')
})

const redisSkip = realRedisUrl === undefined && 'TEST_REDIS_URL is not set'
t.test('redis', { skip: redisSkip }, async (t) => {
  behaviour(t, 'redis', async (t) => {
    const prefix = `${uniqueName('ephemeral')}:`
    const redis = new Redis(realRedisUrl ?? '', { keyPrefix: prefix, maxRetriesPerRequest: 1 })
    t.teardown(async () => {
      const found = await redis.keys(`${prefix}*`)
      if (found.length > 0) await redis.del(...found.map((k) => k.slice(prefix.length)))
      redis.disconnect()
    })
    // Redis keeps real time: the short value's second runs out by itself.
    return { store: createRedisEphemeralStore(redis), advance: (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000)) }
  })

  t.test('keys live under their own namespace with an expiry', async (t) => {
    const prefix = `${uniqueName('ephemeral')}:`
    const redis = new Redis(realRedisUrl ?? '', { keyPrefix: prefix, maxRetriesPerRequest: 1 })
    t.teardown(() => { redis.disconnect() })
    await createRedisEphemeralStore(redis).put('k', 'v', 30)
    const ttl = await redis.ttl('eph:k')
    t.ok(ttl > 0 && ttl <= 30, 'the Redis key expires by itself')
    await redis.del('eph:k')
  })
})

t.test('redis: failures surface as a DependencyError', async (t) => {
  const redis = new Redis({ port: 1, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null })
  const store = createRedisEphemeralStore(redis)
  await t.rejects(store.put('k', 'v', 60), DependencyError)
  await t.rejects(store.take('k'), DependencyError)
  await t.rejects(store.peek('k'), DependencyError)
  await t.rejects(store.delete('k'), DependencyError)
  redis.disconnect()
})

t.test('the app exposes the store of its backend', async (t) => {
  const app = await build(t)
  t.equal(app.ephemeral.kind, realRedisUrl === undefined ? 'memory' : 'redis')
  await app.ephemeral.put('app', 'value', 60)
  t.equal(await app.ephemeral.take('app'), 'value')
})
