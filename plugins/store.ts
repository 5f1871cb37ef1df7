/**
 * The shared stores: Redis when `REDIS_URL` (or a Cluster when `REDIS_CLUSTER_NODES`) is set, in-process otherwise. Exposes `app.revocations`,
 * `app.counters` (the window counters of the throttles) and `app.ephemeral` (short-lived, single-use values).
 */
import fp from 'fastify-plugin'
import fastifyRedis from '@fastify/redis'
import type { Redis } from 'ioredis'
import { createRedisClient } from '../src/stores/redis-client.js'
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
  const client = createRedisClient(app.config)
  if (client === undefined) {
    app.log.warn('REDIS_URL is not set: revocation lists and rate limits are in-process, so run a single instance only')
    const store = createMemoryRevocationStore()
    app.addHook('onClose', () => store.close())
    app.decorate('revocations', store)
    app.decorate('counters', createMemoryCounterStore())
    app.decorate('ephemeral', createMemoryEphemeralStore())
    return
  }
  client.on('error', (err: Error) => app.log.error({ err }, 'redis error'))
  // @fastify/redis types its decorator as a single-server client; a Cluster answers the same commands.
  await app.register(fastifyRedis, { client: client as Redis, closeClient: true })
  const { tracer } = app
  const revocations = createRedisRevocationStore(client)
  const counters = createRedisCounterStore(client)
  const ephemeral = createRedisEphemeralStore(client)
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
