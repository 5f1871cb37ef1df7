/** Redis window counters: shared by every instance; each hit is one atomic script call. */
import type { RedisClient } from './redis-client.js'
import { guardDependency } from '../errors.js'
import type { CounterStore } from './counter-store.js'

// INCR and the expiry in one step, so a crash between them can never leave a counter without a window.
const HIT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('TTL', KEYS[1])
if ttl < 0 then
  ttl = tonumber(ARGV[1])
  redis.call('EXPIRE', KEYS[1], ttl)
end
return { count, ttl }`

const guarded = <T>(op: () => Promise<T>): Promise<T> => guardDependency('redis', op)

export function createRedisCounterStore (redis: RedisClient): CounterStore {
  return {
    kind: 'redis',
    hit: (key, windowSeconds) => guarded(async () => {
      const [count, ttl] = await redis.eval(HIT_SCRIPT, 1, key, String(windowSeconds)) as [number, number]
      return { count, resetInSeconds: ttl }
    }),
    reset: (key) => guarded(async () => {
      await redis.del(key)
    })
  }
}
