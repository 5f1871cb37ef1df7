/**
 * The shared stores: Redis when `REDIS_URL` is set, in-process otherwise. Exposes `app.revocations`,
 * `app.counters` (the window counters of the throttles) and `app.ephemeral` (short-lived, single-use values).
 */
import fp from 'fastify-plugin'
import fastifyRedis from '@fastify/redis'
import { createMemoryRevocationStore } from '../src/stores/memory-revocation-store.js'
import { createRedisRevocationStore } from '../src/stores/redis-revocation-store.js'
import type { RevocationStore } from '../src/stores/revocation-store.js'
import type { CounterStore } from '../src/stores/counter-store.js'
import { createMemoryCounterStore } from '../src/stores/memory-counter-store.js'
import { createRedisCounterStore } from '../src/stores/redis-counter-store.js'
import type { EphemeralStore } from '../src/stores/ephemeral-store.js'
import { createMemoryEphemeralStore } from '../src/stores/memory-ephemeral-store.js'
import { createRedisEphemeralStore } from '../src/stores/redis-ephemeral-store.js'
import { traced } from '../src/tracing/spans.js'

declare module 'fastify' {
  interface FastifyInstance {
    revocations: RevocationStore
    counters: CounterStore
    ephemeral: EphemeralStore
  }
}

export default fp(async (app) => {
  const url = app.config.REDIS_URL
  if (url === undefined) {
    app.log.warn('REDIS_URL is not set: revocation lists and rate limits are in-process, so run a single instance only')
    const store = createMemoryRevocationStore()
    app.addHook('onClose', () => store.close())
    app.decorate('revocations', store)
    app.decorate('counters', createMemoryCounterStore())
    app.decorate('ephemeral', createMemoryEphemeralStore())
    return
  }
  await app.register(fastifyRedis, {
    url,
    keyPrefix: app.config.REDIS_KEY_PREFIX,
    // Fail fast while Redis is away (checks fail closed, limits fail open) instead of queueing requests.
    enableOfflineQueue: false,
    // Commands of concurrent requests issued in the same tick go out in one write.
    enableAutoPipelining: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    commandTimeout: 1000
  })
  app.redis.on('error', (err: Error) => app.log.error({ err }, 'redis error'))
  const { tracer } = app
  const revocations = createRedisRevocationStore(app.redis)
  const counters = createRedisCounterStore(app.redis)
  const ephemeral = createRedisEphemeralStore(app.redis)
  if (tracer === undefined) {
    app.decorate('revocations', revocations)
    app.decorate('counters', counters)
    app.decorate('ephemeral', ephemeral)
    return
  }
  app.decorate('revocations', traced(tracer, 'redis', revocations, ['check', 'revokeSessions', 'revokeUserTokensBefore', 'bumpUserVersion', 'claimUserVersion', 'ping']))
  app.decorate('counters', traced(tracer, 'redis', counters, ['hit', 'reset']))
  app.decorate('ephemeral', traced(tracer, 'redis', ephemeral, ['put', 'take', 'peek', 'delete']))
}, { name: 'store', dependencies: ['config', 'tracing'] })
