/** Redis revocation store: shared by every instance; each check is one MGET. */
import type { RedisClient } from './redis-client.js'
import { guardDependency } from '../errors.js'
import { keys, type AccessState, type RevocationStore } from './revocation-store.js'

// Keeps the larger mark, so a late writer never shortens a revocation.
const SET_MAX_SCRIPT = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
else
  redis.call('EXPIRE', KEYS[1], ARGV[2], 'GT')
end
return 1`

const guarded = <T>(op: () => Promise<T>): Promise<T> => guardDependency('redis', op)

export function createRedisRevocationStore (redis: RedisClient): RevocationStore {
  return {
    kind: 'redis',
    check: (userId, sessionId) => guarded(async (): Promise<AccessState> => {
      const [session, notBefore, version] = await redis.mget(keys.session(userId, sessionId), keys.userNotBefore(userId), keys.userVersion(userId))
      return {
        sessionRevoked: session !== null && session !== undefined,
        notBefore: notBefore === null || notBefore === undefined ? null : Number(notBefore),
        userVersion: version ?? null
      }
    }),
    revokeSessions: (userId, sessionIds, ttlSeconds) => guarded(async () => {
      if (sessionIds.length === 0) return
      const pipeline = redis.pipeline()
      for (const id of sessionIds) pipeline.set(keys.session(userId, id), '1', 'EX', ttlSeconds)
      const results = await pipeline.exec()
      const failed = results?.find(([err]) => err !== null)
      if (failed !== undefined) throw failed[0]
    }),
    revokeUserTokensBefore: (userId, epochSeconds, ttlSeconds) => guarded(async () => {
      await redis.eval(SET_MAX_SCRIPT, 1, keys.userNotBefore(userId), String(epochSeconds), String(ttlSeconds))
    }),
    bumpUserVersion: (userId, version, ttlSeconds) => guarded(async () => {
      await redis.set(keys.userVersion(userId), version, 'EX', ttlSeconds)
    }),
    claimUserVersion: (userId, version, ttlSeconds) => guarded(async () => {
      const previous = await redis.set(keys.userVersion(userId), version, 'EX', ttlSeconds, 'NX', 'GET')
      return previous ?? version
    }),
    ping: () => guarded(async () => { await redis.ping() }),
    async close () {}
  }
}
