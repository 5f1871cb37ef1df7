/** Redis ephemeral values: shared by every instance; each call is one single-key command (Cluster-safe). */
import type { RedisClient } from './redis-client.js'
import { guardDependency } from '../errors.js'
import { ephemeralKey, type EphemeralStore } from './ephemeral-store.js'

const guarded = <T>(op: () => Promise<T>): Promise<T> => guardDependency('redis', op)

export function createRedisEphemeralStore (redis: RedisClient): EphemeralStore {
  return {
    kind: 'redis',
    put: (key, value, ttlSeconds) => guarded(async () => {
      await redis.set(ephemeralKey(key), value, 'EX', Math.max(1, Math.ceil(ttlSeconds)))
    }),
    // GETDEL (Redis 6.2+) is the atomic read-and-delete that single use rests on.
    take: (key) => guarded(() => redis.getdel(ephemeralKey(key))),
    peek: (key) => guarded(() => redis.get(ephemeralKey(key))),
    delete: (key) => guarded(async () => {
      await redis.del(ephemeralKey(key))
    })
  }
}
