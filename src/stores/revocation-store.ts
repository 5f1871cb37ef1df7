/** Revocation lists and per-user versions: what every authenticated request checks in one round trip. */

export interface AccessState {
  /** The session was ended (logout, revoke, reuse detection, deactivation). */
  sessionRevoked: boolean
  /** Access tokens of the user issued before this epoch second are void. */
  notBefore: number | null
  /** Changes whenever the user changes; null when not known to the store. */
  userVersion: string | null
}

export interface RevocationStore {
  readonly kind: 'redis' | 'memory'
  /** One round trip: the session mark, the user mark and the user version together. */
  check: (userId: string, sessionId: string) => Promise<AccessState>
  revokeSessions: (sessionIds: readonly string[], ttlSeconds: number) => Promise<void>
  revokeUserTokensBefore: (userId: string, epochSeconds: number, ttlSeconds: number) => Promise<void>
  /** Records that the user changed; cached copies under an older version are stale from now on. */
  bumpUserVersion: (userId: string, version: string, ttlSeconds: number) => Promise<void>
  /** Sets the version only if none is known, and answers the version in force. */
  claimUserVersion: (userId: string, version: string, ttlSeconds: number) => Promise<string>
  ping: () => Promise<void>
  close: () => Promise<void>
}

export const keys = {
  session: (sessionId: string) => `rev:sid:${sessionId}`,
  userNotBefore: (userId: string) => `rev:nbf:${userId}`,
  userVersion: (userId: string) => `ver:user:${userId}`
}
