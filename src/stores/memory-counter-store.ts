/** In-process window counters: for a single instance, when no Redis is configured. */
import { LRUCache } from 'lru-cache'
import type { CounterStore } from './counter-store.js'

interface Window { count: number, endsAt: number }

// Bounds the memory a flood of distinct keys can take; the least recently hit key is forgotten first.
const DEFAULT_MAX_KEYS = 100_000

/**
 * Each kind of key (what comes before its last `:`) has a bound of its own: a flood of cheap keys of
 * one kind (forgot-password requests for made-up addresses) must not evict the counts of another
 * (the failed logins of real accounts) and so lift their throttle.
 */
export function createMemoryCounterStore (now: () => number = Date.now, maxKeys = DEFAULT_MAX_KEYS): CounterStore {
  const kinds = new Map<string, LRUCache<string, Window>>()
  const windowsOf = (key: string) => {
    const kind = key.slice(0, Math.max(0, key.lastIndexOf(':')))
    let windows = kinds.get(kind)
    if (windows === undefined) {
      windows = new LRUCache<string, Window>({ max: maxKeys })
      kinds.set(kind, windows)
    }
    return windows
  }
  const live = (windows: LRUCache<string, Window>, key: string, t: number) => {
    const window = windows.get(key)
    return window === undefined || window.endsAt <= t ? undefined : window
  }
  return {
    kind: 'memory',
    async hit (key, windowSeconds) {
      const t = now()
      const windows = windowsOf(key)
      let window = live(windows, key, t)
      if (window === undefined) {
        window = { count: 0, endsAt: t + windowSeconds * 1000 }
        windows.set(key, window)
      }
      window.count += 1
      return { count: window.count, resetInSeconds: Math.ceil((window.endsAt - t) / 1000) }
    },
    async peek (key) {
      const t = now()
      const window = live(windowsOf(key), key, t)
      return window === undefined ? { count: 0, resetInSeconds: 0 } : { count: window.count, resetInSeconds: Math.ceil((window.endsAt - t) / 1000) }
    },
    async reset (key) {
      windowsOf(key).delete(key)
    }
  }
}
