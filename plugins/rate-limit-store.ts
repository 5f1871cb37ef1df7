/**
 * The Redis store of @fastify/rate-limit under one namespace for every limiter. The plugin names
 * a child store after its route (`rl:<method><url>-`), and limiters made by `createRateLimit` have
 * none, so their keys read `rl:undefinedundefined-…`. Ours name their keys themselves
 * (`ip:…|login`, `user:…|all`), so a child is the same store under the same namespace.
 */
import { createRequire } from 'node:module'
import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor, RateLimitOptions } from '@fastify/rate-limit'
import type { Redis } from 'ioredis'

type RedisStoreCtor = new (continueExceeding: boolean, exponentialBackoff: boolean, redis: Redis, key: string) => FastifyRateLimitStore

// The store the plugin itself uses (its Lua script included); the package entry point does not export it.
const RedisStore = createRequire(import.meta.url)('@fastify/rate-limit/store/RedisStore.js') as RedisStoreCtor

export function redisStoreUnder (redis: Redis, nameSpace: string): FastifyRateLimitStoreCtor {
  return class NamespacedRedisStore extends RedisStore {
    constructor (options: RateLimitOptions) {
      super(options.continueExceeding ?? false, options.exponentialBackoff ?? false, redis, nameSpace)
    }

    override child (routeOptions: Parameters<FastifyRateLimitStore['child']>[0]): FastifyRateLimitStore {
      return new NamespacedRedisStore(routeOptions as RateLimitOptions)
    }
  }
}
