/**
 * The shared stores: Redis when `REDIS_URL` (or a Cluster when `REDIS_CLUSTER_NODES`) is set, in-process otherwise. Exposes `app.revocations`,
 * `app.counters` (the window counters of the throttles) and `app.ephemeral` (short-lived, single-use values).
 */
import fp from 'fastify-plugin'
import fastifyRedis from '@fastify/redis'
import type { Redis } from 'ioredis'
import { createRedisClient } from '../src/stores/redis-client.js'
import { untilReachable } from '../src/startup-deadline.js'
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
  const client = createRedisClient(app.config, { lazyConnect: true })
  if (client === undefined) {
    app.log.warn('REDIS_URL is not set: revocation lists and rate limits are in-process, so run a single instance only')
    const now = () => app.clock.now()
    const store = createMemoryRevocationStore(now)
    app.addHook('onClose', () => store.close())
    app.decorate('revocations', store)
    app.decorate('counters', createMemoryCounterStore(now))
    app.decorate('ephemeral', createMemoryEphemeralStore(now))
    return
  }
  // Connected here, under the start-up deadline, with the error listener already attached: an
  // unreachable Redis fails the start-up with one line instead of hanging it.
  let connected = false
  client.on('error', (err: Error) => { if (connected) app.log.error({ err }, 'redis error') })
  // A failed first connect leaves ioredis reconnecting by itself: each attempt waits for its next outcome.
  client.connect().catch(() => {})
  const nextOutcome = () => new Promise<void>((resolve, reject) => {
    if (client.status === 'ready') { resolve(); return }
    const settle = (err?: Error) => {
      client.off('ready', settle)
      client.off('error', settle)
      if (err === undefined) resolve()
      else reject(err)
    }
    client.on('ready', settle)
    client.on('error', settle)
  })
  const [setting, target] = app.config.REDIS_CLUSTER_NODES !== undefined
    ? ['REDIS_CLUSTER_NODES', `redis://${app.config.REDIS_CLUSTER_NODES.split(',')[0]?.trim() ?? ''}`]
    : ['REDIS_URL', app.config.REDIS_URL ?? '']
  try {
    await untilReachable(setting, target, app.config.STARTUP_TIMEOUT * 1000, nextOutcome)
  } catch (err) {
    client.disconnect()
    throw err
  }
  connected = true
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
}, { name: 'stores', dependencies: ['config', 'clock', 'tracing'] })
