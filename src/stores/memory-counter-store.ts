/** In-process window counters: for a single instance, when no Redis is configured. */
import { LRUCache } from 'lru-cache'
import type { CounterStore } from './counter-store.js'

interface Window { count: number, endsAt: number }

// Bounds the memory a flood of distinct keys can take; the least recently hit key is forgotten first.
const DEFAULT_MAX_KEYS = 100_000

export function createMemoryCounterStore (now: () => number = Date.now, maxKeys = DEFAULT_MAX_KEYS): CounterStore {
  const windows = new LRUCache<string, Window>({ max: maxKeys })
  return {
    kind: 'memory',
    async hit (key, windowSeconds) {
      const t = now()
      let window = windows.get(key)
      if (window === undefined || window.endsAt <= t) {
        window = { count: 0, endsAt: t + windowSeconds * 1000 }
        windows.set(key, window)
      }
      window.count += 1
      return { count: window.count, resetInSeconds: Math.ceil((window.endsAt - t) / 1000) }
    },
    async reset (key) {
      windows.delete(key)
    }
  }
}
