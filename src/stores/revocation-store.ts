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
  /** Ends sessions of one user (the mark lives beside the user's other keys, in one Cluster slot). */
  revokeSessions: (userId: string, sessionIds: readonly string[], ttlSeconds: number) => Promise<void>
  revokeUserTokensBefore: (userId: string, epochSeconds: number, ttlSeconds: number) => Promise<void>
  /** Records that the user changed; cached copies under an older version are stale from now on. */
  bumpUserVersion: (userId: string, version: string, ttlSeconds: number) => Promise<void>
  /** Sets the version only if none is known, and answers the version in force. */
  claimUserVersion: (userId: string, version: string, ttlSeconds: number) => Promise<string>
  ping: () => Promise<void>
  close: () => Promise<void>
}

// The hash tag `{<user id>}` puts every key of one user in one Redis Cluster slot, so the access
// check's single MGET (and the user's rate-limit counter beside it) stays one command on one node.
export const keys = {
  session: (userId: string, sessionId: string) => `rev:sid:{${userId}}:${sessionId}`,
  userNotBefore: (userId: string) => `rev:nbf:{${userId}}`,
  userVersion: (userId: string) => `ver:user:{${userId}}`
}
