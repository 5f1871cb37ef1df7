import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { Redis } from 'ioredis'
import type { CounterStore } from '../src/stores/counter-store.js'
import { createMemoryCounterStore } from '../src/stores/memory-counter-store.js'
import { createRedisCounterStore } from '../src/stores/redis-counter-store.js'
import { DependencyError } from '../src/errors.js'
import { realRedisUrl, testClock, uniqueName } from './helpers/app.js'

t.test('memory: a fixed window that starts with the first hit', async (t) => {
  let now = 1_000_000
  const store = createMemoryCounterStore(() => now)
  t.same(await store.hit('k', 60), { count: 1, resetInSeconds: 60 })
  now += 10_500
  t.same(await store.hit('k', 60), { count: 2, resetInSeconds: 50 }, 'later hits do not extend the window')
  t.same(await store.hit('other', 60), { count: 1, resetInSeconds: 60 }, 'keys are independent')
  now += 49_500
  t.same(await store.hit('k', 60), { count: 1, resetInSeconds: 60 }, 'a new window once the old one ended')
  await store.reset('k')
  t.same(await store.hit('k', 60), { count: 1, resetInSeconds: 60 }, 'reset starts over')
  now += 30_000
  t.same(await store.peek('k'), { count: 1, resetInSeconds: 30 }, 'peek reads without counting')
  t.same(await store.peek('k'), { count: 1, resetInSeconds: 30 })
  t.same(await store.peek('never'), { count: 0, resetInSeconds: 0 })
})

t.test('memory: the number of keys is bounded', async (t) => {
  const store = createMemoryCounterStore(Date.now, 2)
  await store.hit('a', 60)
  await store.hit('a', 60)
  await store.hit('b', 60)
  await store.hit('c', 60)
  t.equal((await store.hit('a', 60)).count, 1, 'the least recently hit key was forgotten')
})

t.test('memory: cheap keys of one kind never evict the counts of another', async (t) => {
  const store = createMemoryCounterStore(Date.now, 3)
  for (let i = 0; i < 3; i++) await store.hit('throttle:account:victim', 900)
  for (let i = 0; i < 50; i++) await store.hit(`throttle:forgot:address-${i}`, 3600)
  t.equal((await store.peek('throttle:account:victim')).count, 3, 'the failed logins of the account are still counted')
})

/** `advance` moves the store's time on: an injected clock in process, the real one in Redis. */
async function sharedBehaviour (t: Test, store: CounterStore, advance: (ms: number) => Promise<void>): Promise<void> {
  t.same(await store.hit('x', 1), { count: 1, resetInSeconds: 1 })
  t.equal((await store.hit('x', 1)).count, 2)
  t.same(await store.peek('x'), { count: 2, resetInSeconds: 1 }, 'peek does not count')
  t.same(await store.peek('absent'), { count: 0, resetInSeconds: 0 })
  await advance(1100)
  t.same(await store.hit('x', 1), { count: 1, resetInSeconds: 1 }, 'the window expired')
  await store.reset('x')
  t.equal((await store.hit('x', 60)).count, 1)
}

t.test('memory: windows expire in real time', (t) => {
  const clock = testClock()
  return sharedBehaviour(t, createMemoryCounterStore(clock.now), async (ms) => { clock.advance(ms / 1000) })
})

t.test('redis: the same behaviour, shared through Redis', { skip: realRedisUrl === undefined && 'TEST_REDIS_URL is not set' }, async (t) => {
  const prefix = `${uniqueName('counter')}:`
  const redis = new Redis(realRedisUrl ?? '', { keyPrefix: prefix, maxRetriesPerRequest: 1 })
  t.teardown(async () => {
    const keys = await redis.keys(`${prefix}*`)
    if (keys.length > 0) await redis.del(...keys.map((k) => k.slice(prefix.length)))
    redis.disconnect()
  })
  const store = createRedisCounterStore(redis)
  await sharedBehaviour(t, store, (ms) => sleep(ms))
  t.ok(await redis.ttl('x') > 0, 'a counter never lives without a window')
  await Promise.all(Array.from({ length: 20 }, () => store.hit('race', 60)))
  t.equal((await store.hit('race', 60)).count, 21, 'concurrent hits are all counted')
})

t.test('redis: failures surface as a DependencyError', async (t) => {
  const redis = new Redis({ port: 1, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null })
  const store = createRedisCounterStore(redis)
  await t.rejects(store.hit('k', 60), DependencyError)
  await t.rejects(store.reset('k'), DependencyError)
  await t.rejects(store.peek('k'), DependencyError)
  redis.disconnect()
})
