/** Sessions (token families) and their rotating refresh tokens; race safety lives in the SQL. */
import type { Kysely } from 'kysely'
import * as sessionsRepository from '../db/sessions-repository.js'
import type { IssuedToken, SessionInfo, SessionOrigin } from '../db/sessions-repository.js'
import type { Database } from '../db/types.js'
import type { RevocationStore } from '../stores/revocation-store.js'
import { generateOpaqueToken, hashOpaqueToken } from './tokens.js'
import type { PublicUser } from './users.js'

export interface SessionSettings {
  refreshTtlSeconds: number
  sessionMaxAgeSeconds: number
  reuseGraceSeconds: number
  /** How long a revocation mark must outlive the session's last access token. */
  revocationTtlSeconds: number
}

export interface SessionGrant {
  sessionId: string
  refreshToken: string
  refreshExpiresAt: Date
  /** When the refresh token was issued: its lifetime is counted from here, not from when the answer is sent. */
  issuedAt: Date
  /** RFC 8176 methods the session started with; every access token of the session carries them. */
  amr: string[]
  user: PublicUser
}

export type LogoutTarget =
  | { kind: 'current', sessionId: string, userId: string }
  | { kind: 'invalid' }
  | { kind: 'reused', sessionId: string, userId: string }

export type RotationResult =
  | { kind: 'rotated', grant: SessionGrant }
  | { kind: 'invalid' }
  | { kind: 'reused', sessionId: string, userId: string }

export type { SessionInfo, SessionOrigin } from '../db/sessions-repository.js'

/** A new session for an account, a named live one, or the one of the refresh token being retired. */
type SessionSource = { newFor: string, origin: SessionOrigin, amr: readonly string[] } | { sessionId: string } | { retiring: string }

export function createSessionService (db: Kysely<Database>, revocations: RevocationStore, settings: SessionSettings, clock: () => number = Date.now) {
  const currentTime = () => new Date(clock())
  const toGrant = (row: IssuedToken, refreshToken: string, issuedAt: Date): SessionGrant => {
    const { session_id: sessionId, token_expires_at: refreshExpiresAt, amr, ...user } = row
    return { sessionId, refreshToken, refreshExpiresAt, issuedAt, amr, user }
  }

  /** Issues a refresh token in a new, named, or rotating session; undefined when that session or its user is not live. */
  async function issueInSession (source: SessionSource, parentHash: string | null, now: Date): Promise<SessionGrant | undefined> {
    const refreshToken = generateOpaqueToken()
    const row = await sessionsRepository.issueRefreshToken(db, 'newFor' in source
      ? { ...source, expiresAt: new Date(now.getTime() + settings.sessionMaxAgeSeconds * 1000) }
      : source, {
      hash: hashOpaqueToken(refreshToken),
      parentHash,
      // Sliding; the repository caps it at the session's absolute end.
      expiresAt: new Date(now.getTime() + settings.refreshTtlSeconds * 1000)
    }, now)
    return row === undefined ? undefined : toGrant(row, refreshToken, now)
  }

  async function revoke (userId: string, sessionIds: string[], now: Date): Promise<void> {
    if (sessionIds.length === 0) return
    // The store first: if it is down nothing changes and the caller can retry; the reverse could leave live access tokens.
    await revocations.revokeSessions(userId, sessionIds, settings.revocationTtlSeconds)
    await db.transaction().execute((trx) => sessionsRepository.revokeSessions(trx, sessionIds, now))
  }

  async function liveSessionIds (userId: string, now: Date): Promise<string[]> {
    return await sessionsRepository.unexpiredSessionIds(db, userId, now)
  }

  return {
    /**
     * Starts a session for a live, active account; undefined when the account was deactivated or
     * deleted since the caller looked it up (a login racing an admin), with no row left behind.
     */
    async start (userId: string, origin: SessionOrigin, amr: readonly string[]): Promise<SessionGrant | undefined> {
      return await issueInSession({ newFor: userId, origin, amr }, null, currentTime())
    },

    /** Retires the presented token and issues the next; a token already retired falls under the grace-period rule. */
    async rotate (presented: string): Promise<RotationResult> {
      const now = currentTime()
      const oldHash = hashOpaqueToken(presented)
      const rotated = await issueInSession({ retiring: oldHash }, oldHash, now)
      if (rotated !== undefined) return { kind: 'rotated', grant: rotated }

      const token = await sessionsRepository.findRefreshToken(db, oldHash)
      if (token === undefined || token.revoked_at !== null || token.rotated_at === null) return { kind: 'invalid' }
      if (now.getTime() - token.rotated_at.getTime() <= settings.reuseGraceSeconds * 1000) {
        const grant = await issueInSession({ sessionId: token.session_id }, oldHash, now)
        return grant === undefined ? { kind: 'invalid' } : { kind: 'rotated', grant }
      }
      await revoke(token.user_id, [token.session_id], now)
      return { kind: 'reused', sessionId: token.session_id, userId: token.user_id }
    },

    /**
     * The session of a current (unretired, unexpired) refresh token, for a logout without an access
     * token. A retired token is reuse, as at a refresh after the grace period: its session ends.
     */
    async endingBy (presented: string): Promise<LogoutTarget> {
      const now = currentTime()
      const token = await sessionsRepository.findRefreshToken(db, hashOpaqueToken(presented))
      if (token === undefined || token.revoked_at !== null || token.session_revoked_at !== null) return { kind: 'invalid' }
      if (token.rotated_at !== null) {
        await revoke(token.user_id, [token.session_id], now)
        return { kind: 'reused', sessionId: token.session_id, userId: token.user_id }
      }
      if (token.expires_at <= now) return { kind: 'invalid' }
      return { kind: 'current', sessionId: token.session_id, userId: token.user_id }
    },

    /** The session a refresh token belongs to, whatever the token's state, if the session is live. */
    async findByRefreshToken (presented: string): Promise<{ sessionId: string, userId: string } | undefined> {
      const row = await sessionsRepository.findSessionOfRefreshToken(db, hashOpaqueToken(presented))
      return row === undefined ? undefined : { sessionId: row.id, userId: row.user_id }
    },

    liveSessionIds,

    /**
     * The user's sessions that can still be used: not revoked, before their absolute end, and
     * with an unexpired refresh token (an idle session past the sliding lifetime is over). Most recent first.
     */
    async listLive (userId: string): Promise<SessionInfo[]> {
      return await sessionsRepository.listUsableSessions(db, userId, currentTime())
    },

    /** Ends one session if it is the user's and not ended yet; false otherwise, so another user's id looks unknown. */
    async revokeOwn (userId: string, sessionId: string): Promise<boolean> {
      const stored = await sessionsRepository.findUnrevokedSessionOf(db, userId, sessionId)
      if (stored === undefined) return false
      await revoke(userId, [stored], currentTime())
      return true
    },

    /** Ends sessions of one user. */
    revoke: (userId: string, sessionIds: string[]) => revoke(userId, sessionIds, currentTime()),

    /** Ends every live session of the user, optionally sparing one. */
    async revokeAllOf (userId: string, except?: string): Promise<string[]> {
      const now = currentTime()
      const ids = (await liveSessionIds(userId, now)).filter((id) => id !== except)
      await revoke(userId, ids, now)
      return ids
    }
  }
}

export type SessionService = ReturnType<typeof createSessionService>
