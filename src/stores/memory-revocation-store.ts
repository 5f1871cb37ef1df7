/** In-process revocation store: for a single instance, when no Redis is configured. */
import { keys, type AccessState, type RevocationStore } from './revocation-store.js'

interface Entry { value: string, expiresAt: number }

const SWEEP_INTERVAL_MS = 60_000

export function createMemoryRevocationStore (now: () => number = Date.now): RevocationStore {
  const entries = new Map<string, Entry>()

  const read = (key: string): string | null => {
    const entry = entries.get(key)
    if (entry === undefined) return null
    if (entry.expiresAt <= now()) {
      entries.delete(key)
      return null
    }
    return entry.value
  }
  const write = (key: string, value: string, ttlSeconds: number): void => {
    entries.set(key, { value, expiresAt: now() + ttlSeconds * 1000 })
  }

  const sweeper = setInterval(() => {
    const t = now()
    for (const [key, entry] of entries) if (entry.expiresAt <= t) entries.delete(key)
  }, SWEEP_INTERVAL_MS)
  sweeper.unref()

  return {
    kind: 'memory',
    async check (userId, sessionId): Promise<AccessState> {
      const notBefore = read(keys.userNotBefore(userId))
      return {
        sessionRevoked: read(keys.session(userId, sessionId)) !== null,
        notBefore: notBefore === null ? null : Number(notBefore),
        userVersion: read(keys.userVersion(userId))
      }
    },
    async revokeSessions (userId, sessionIds, ttlSeconds) {
      for (const id of sessionIds) write(keys.session(userId, id), '1', ttlSeconds)
    },
    async revokeUserTokensBefore (userId, epochSeconds, ttlSeconds) {
      const key = keys.userNotBefore(userId)
      const current = read(key)
      if (current === null || epochSeconds > Number(current)) {
        write(key, String(epochSeconds), ttlSeconds)
        return
      }
      // As the Redis store does (EXPIRE GT): an older mark may lengthen the kept one's life, never shorten it.
      const entry = entries.get(key)
      if (entry !== undefined) entry.expiresAt = Math.max(entry.expiresAt, now() + ttlSeconds * 1000)
    },
    async bumpUserVersion (userId, version, ttlSeconds) {
      write(keys.userVersion(userId), version, ttlSeconds)
    },
    async claimUserVersion (userId, version, ttlSeconds) {
      const existing = read(keys.userVersion(userId))
      if (existing !== null) return existing
      write(keys.userVersion(userId), version, ttlSeconds)
      return version
    },
    async ping () {},
    async close () {
      clearInterval(sweeper)
      entries.clear()
    }
  }
}
