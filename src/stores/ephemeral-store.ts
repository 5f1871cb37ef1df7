/**
 * Short-lived values that any instance must see: challenges, state, one-time login codes.
 * `take` reads and deletes in one step, so a value can be redeemed once however many requests race for it.
 */

export interface EphemeralStore {
  readonly kind: 'redis' | 'memory'
  /** Keeps `value` under `key` for `ttlSeconds`, replacing what was there. */
  put: (key: string, value: string, ttlSeconds: number) => Promise<void>
  /** Answers the value and deletes it atomically: of concurrent takes, exactly one gets it. */
  take: (key: string) => Promise<string | null>
  /** Reads without consuming. */
  peek: (key: string) => Promise<string | null>
  delete: (key: string) => Promise<void>
}

/** Every ephemeral key lives under this namespace, apart from the revocation marks and counters. */
export const ephemeralKey = (key: string): string => `eph:${key}`
