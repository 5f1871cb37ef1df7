/** The ioredis client the config names: one server (`REDIS_URL`) or a Redis Cluster (`REDIS_CLUSTER_NODES`). */
import { Cluster, Redis, type RedisOptions } from 'ioredis'
import type { Config } from '../config.js'

export type RedisClient = Redis | Cluster

const CONNECTION: RedisOptions = {
  maxRetriesPerRequest: 1,
  connectTimeout: 2000,
  commandTimeout: 1000
}

/** `host:port,host:port` as ioredis' Cluster takes its seed nodes. */
export function clusterNodes (value: string): Array<{ host: string, port: number }> {
  return value.split(',').map((node) => node.trim()).filter((node) => node !== '').map((node) => {
    const at = node.lastIndexOf(':')
    return { host: node.slice(0, at), port: Number(node.slice(at + 1)) }
  })
}

/** Undefined when neither setting names a Redis: the stores are in-process then. */
export function createRedisClient (config: Config, options: { lazyConnect?: boolean } = {}): RedisClient | undefined {
  const shared = {
    keyPrefix: config.REDIS_KEY_PREFIX,
    // Fail fast while Redis is away (checks fail closed, limits fail open) instead of queueing requests.
    enableOfflineQueue: false,
    // Commands of concurrent requests issued in the same tick go out in one write (one per node on a cluster).
    enableAutoPipelining: true,
    lazyConnect: options.lazyConnect ?? false
  }
  if (config.REDIS_CLUSTER_NODES !== undefined) {
    return new Cluster(clusterNodes(config.REDIS_CLUSTER_NODES), { ...shared, redisOptions: CONNECTION })
  }
  if (config.REDIS_URL !== undefined) return new Redis(config.REDIS_URL, { ...CONNECTION, ...shared })
  return undefined
}
