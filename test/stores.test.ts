import t, { type Test } from 'tap'
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { DependencyError } from '../src/errors.js'
import { createMemoryRevocationStore } from '../src/stores/memory-revocation-store.js'
import { createRedisRevocationStore } from '../src/stores/redis-revocation-store.js'
import type { RevocationStore } from '../src/stores/revocation-store.js'
import { realRedisUrl, uniqueName } from './helpers/app.js'

interface Subject {
  store: RevocationStore
  /** Lets `seconds` pass for the store's expiries. */
  advance: (seconds: number) => Promise<void>
}

/** The behaviour every RevocationStore must have, whatever keeps the marks. */
function behaviour (t: Test, kind: 'memory' | 'redis', open: (t: Test) => Promise<Subject>): void {
  t.test(`${kind}: reports its kind`, async (t) => {
    const { store } = await open(t)
    t.equal(store.kind, kind)
  })

  t.test(`${kind}: nothing is known about a fresh user and session`, async (t) => {
    const { store } = await open(t)
    t.strictSame(await store.check(randomUUID(), randomUUID()), { sessionRevoked: false, notBefore: null, userVersion: null })
    await store.ping()
  })

  t.test(`${kind}: revokeSessions marks exactly the given sessions`, async (t) => {
    const { store } = await open(t)
    const user = randomUUID()
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()]
    await store.revokeSessions(user, [a, b], 60)
    await store.revokeSessions(user, [], 60)
    t.equal((await store.check(user, a)).sessionRevoked, true)
    t.equal((await store.check(user, b)).sessionRevoked, true)
    t.equal((await store.check(user, c)).sessionRevoked, false)
  })

  t.test(`${kind}: revokeUserTokensBefore keeps the latest mark`, async (t) => {
    const { store } = await open(t)
    const user = randomUUID()
    await store.revokeUserTokensBefore(user, 1_700_000_100, 60)
    t.equal((await store.check(user, randomUUID())).notBefore, 1_700_000_100)
    await store.revokeUserTokensBefore(user, 1_700_000_050, 60)
    t.equal((await store.check(user, randomUUID())).notBefore, 1_700_000_100, 'a late writer with an older mark does not lower it')
    await store.revokeUserTokensBefore(user, 1_700_000_200, 60)
    t.equal((await store.check(user, randomUUID())).notBefore, 1_700_000_200)
    t.equal((await store.check(randomUUID(), randomUUID())).notBefore, null, 'other users are untouched')
  })

  t.test(`${kind}: an older mark may lengthen the life of the kept one, never shorten it`, async (t) => {
    const { store, advance } = await open(t)
    const [shortened, lengthened] = [randomUUID(), randomUUID()]
    await store.revokeUserTokensBefore(shortened, 1_700_000_100, 3)
    await store.revokeUserTokensBefore(shortened, 1_700_000_050, 1)
    await store.revokeUserTokensBefore(lengthened, 1_700_000_100, 1)
    await store.revokeUserTokensBefore(lengthened, 1_700_000_050, 3)
    await advance(1.5)
    t.equal((await store.check(shortened, randomUUID())).notBefore, 1_700_000_100, 'not shortened')
    t.equal((await store.check(lengthened, randomUUID())).notBefore, 1_700_000_100, 'lengthened')
  })

  t.test(`${kind}: claimUserVersion sets only when none is known (NX) and answers the version in force`, async (t) => {
    const { store } = await open(t)
    const user = randomUUID()
    t.equal(await store.claimUserVersion(user, 'v1', 60), 'v1')
    t.equal(await store.claimUserVersion(user, 'v2', 60), 'v1', 'a second claim loses')
    t.equal((await store.check(user, randomUUID())).userVersion, 'v1')
    await store.bumpUserVersion(user, 'v3', 60)
    t.equal((await store.check(user, randomUUID())).userVersion, 'v3', 'bump always wins')
    t.equal(await store.claimUserVersion(user, 'v4', 60), 'v3')
  })

  t.test(`${kind}: one check answers all three marks together`, async (t) => {
    const { store } = await open(t)
    const user = randomUUID()
    const session = randomUUID()
    await store.revokeSessions(user, [session], 60)
    await store.revokeUserTokensBefore(user, 1_700_000_000, 60)
    await store.bumpUserVersion(user, 'v9', 60)
    t.strictSame(await store.check(user, session), { sessionRevoked: true, notBefore: 1_700_000_000, userVersion: 'v9' })
  })

  t.test(`${kind}: every mark expires after its TTL`, async (t) => {
    const { store, advance } = await open(t)
    const user = randomUUID()
    const session = randomUUID()
    await store.revokeSessions(user, [session], 1)
    await store.revokeUserTokensBefore(user, 1_700_000_000, 1)
    await store.bumpUserVersion(user, 'short-lived', 1)
    const kept = randomUUID()
    await store.revokeSessions(user, [kept], 60)
    await advance(1.5)
    t.strictSame(await store.check(user, session), { sessionRevoked: false, notBefore: null, userVersion: null })
    t.equal((await store.check(user, kept)).sessionRevoked, true, 'a longer TTL is still in force')
    t.equal(await store.claimUserVersion(user, 'fresh', 60), 'fresh', 'an expired version can be claimed again')
  })
}

t.test('in-process store', async (t) => {
  behaviour(t, 'memory', async (t) => {
    let clock = Date.now()
    const store = createMemoryRevocationStore(() => clock)
    t.teardown(() => store.close())
    return { store, advance: async (seconds) => { clock += seconds * 1000 } }
  })

  t.test('memory: close forgets everything', async (t) => {
    const store = createMemoryRevocationStore()
    const [user, session] = [randomUUID(), randomUUID()]
    await store.revokeSessions(user, [session], 60)
    t.equal((await store.check(user, session)).sessionRevoked, true)
    await store.close()
    t.equal((await store.check(user, session)).sessionRevoked, false)
  })
})

t.test('Redis store', { skip: realRedisUrl === undefined ? 'needs TEST_REDIS_URL' : false }, async (t) => {
  const url = realRedisUrl ?? ''
  const prefix = `${uniqueName('store')}:`
  const redis = new Redis(url, { keyPrefix: prefix, maxRetriesPerRequest: 1 })
  t.teardown(async () => {
    // SCAN patterns ignore keyPrefix, so the cleanup uses a client without one.
    const plain = new Redis(url)
    const keys = await plain.keys(`${prefix}*`)
    if (keys.length > 0) await plain.del(...keys)
    plain.disconnect()
    redis.disconnect()
  })

  behaviour(t, 'redis', async () => ({
    store: createRedisRevocationStore(redis),
    advance: async (seconds) => { await sleep(seconds * 1000) }
  }))

  t.test('redis: keys live under the client prefix with a TTL', async (t) => {
    const store = createRedisRevocationStore(redis)
    const [user, session] = [randomUUID(), randomUUID()]
    await store.revokeSessions(user, [session], 60)
    const plain = new Redis(url)
    t.teardown(() => plain.disconnect())
    const ttl = await plain.ttl(`${prefix}rev:sid:{${user}}:${session}`)
    t.ok(ttl > 0 && ttl <= 60, `ttl ${ttl}`)
  })

  t.test('redis: a check is a single command', async (t) => {
    const counted = new Redis(url, { keyPrefix: prefix })
    t.teardown(() => counted.disconnect())
    let commands = 0
    const send = counted.sendCommand.bind(counted)
    counted.sendCommand = ((...args: Parameters<typeof send>) => { commands++; return send(...args) }) as typeof counted.sendCommand
    await counted.ping()
    commands = 0
    await createRedisRevocationStore(counted).check(randomUUID(), randomUUID())
    t.equal(commands, 1)
  })

  t.test('redis: an unreachable server fails closed with a DependencyError', async (t) => {
    const offline = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null })
    t.teardown(() => offline.disconnect())
    const store = createRedisRevocationStore(offline)
    await t.rejects(store.check(randomUUID(), randomUUID()), DependencyError)
    await t.rejects(store.revokeSessions(randomUUID(), [randomUUID()], 60), DependencyError)
    await t.rejects(store.ping(), { name: 'DependencyError', dependency: 'redis' })
  })
})
