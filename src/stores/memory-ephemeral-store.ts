/** In-process ephemeral values: for a single instance, when no Redis is configured. */
import { LRUCache } from 'lru-cache'
import { ephemeralKey, type EphemeralStore } from './ephemeral-store.js'

interface Entry { value: string, expiresAt: number }

// Bounds the memory a flood of abandoned ceremonies can take; the least recently used value goes first.
const DEFAULT_MAX_ENTRIES = 100_000

export function createMemoryEphemeralStore (now: () => number = Date.now, maxEntries = DEFAULT_MAX_ENTRIES): EphemeralStore {
  const entries = new LRUCache<string, Entry>({ max: maxEntries })
  const live = (key: string): Entry | undefined => {
    const entry = entries.get(ephemeralKey(key))
    if (entry === undefined) return undefined
    if (entry.expiresAt > now()) return entry
    entries.delete(ephemeralKey(key))
    return undefined
  }
  return {
    kind: 'memory',
    async put (key, value, ttlSeconds) {
      entries.set(ephemeralKey(key), { value, expiresAt: now() + ttlSeconds * 1000 })
    },
    async take (key) {
      const entry = live(key)
      if (entry === undefined) return null
      entries.delete(ephemeralKey(key))
      return entry.value
    },
    async peek (key) {
      return live(key)?.value ?? null
    },
    async delete (key) {
      entries.delete(ephemeralKey(key))
    }
  }
}
