/** Fixed-window counters for the throttles (failed logins, reset mails): one window per key. */

export interface WindowCount {
  /** Hits in the current window, this one included. */
  count: number
  /** Seconds until the window ends and the count starts again from zero. */
  resetInSeconds: number
}

export interface CounterStore {
  readonly kind: 'redis' | 'memory'
  /** Adds one to the key's count; the window starts with the first hit and does not slide. */
  hit: (key: string, windowSeconds: number) => Promise<WindowCount>
  /** The key's count without adding to it: zero (and no window) when nothing was counted. */
  peek: (key: string) => Promise<WindowCount>
  reset: (key: string) => Promise<void>
}
