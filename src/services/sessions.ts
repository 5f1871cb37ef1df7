/** Sessions (token families) and their rotating refresh tokens; race safety lives in the SQL. */
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/types.js'
import type { RevocationStore } from '../stores/revocation-store.js'
import { generateOpaqueToken, hashOpaqueToken } from './tokens.js'
import { rolesOf, type PublicUser } from './users.js'

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
  /** RFC 8176 methods the session started with; every access token of the session carries them. */
  amr: string[]
  user: PublicUser
}

export type RotationResult =
  | { kind: 'rotated', grant: SessionGrant }
  | { kind: 'invalid' }
  | { kind: 'reused', sessionId: string, userId: string }

export interface SessionInfo {
  id: string
  created_at: Date
  last_used_at: Date
  expires_at: Date
  user_agent: string | null
  ip: string | null
}

export interface SessionOrigin {
  userAgent: string | null
  ip: string | null
}

/** A new session for an account, a named live one, or the one of the refresh token being retired. */
type SessionSource = { newFor: string, origin: SessionOrigin, amr: readonly string[] } | { sessionId: string } | { retiring: string }

const userColumns = ['users.id', 'users.email', 'users.username', 'users.is_active', 'users.created_at', 'users.updated_at'] as const

export function createSessionService (db: Kysely<Database>, revocations: RevocationStore, settings: SessionSettings) {
  const toGrant = (row: PublicUser & { session_id: string, token_expires_at: Date, amr: string[] }, refreshToken: string): SessionGrant => {
    const { session_id: sessionId, token_expires_at: refreshExpiresAt, amr, ...user } = row
    return { sessionId, refreshToken, refreshExpiresAt, amr, user }
  }

  /**
   * Adds a refresh token to a live session of a live, active user and marks the session used, in
   * one statement. The session is new, named, or found by retiring a refresh token: the
   * conditional UPDATE lets exactly one of several racing callers retire it (the row lock
   * serializes them, and a loser re-reads `rotated_at`), and the winner's next token comes in
   * the same round trip.
   */
  async function issueInSession (source: SessionSource, parentHash: string | null, now: Date): Promise<SessionGrant | undefined> {
    const refreshToken = generateOpaqueToken()
    const slidingExpiry = new Date(now.getTime() + settings.refreshTtlSeconds * 1000)
    const row = await db
      .with('source', (q) => 'retiring' in source
        ? q.updateTable('refresh_tokens')
          .set({ rotated_at: now })
          .where('token_hash', '=', source.retiring)
          .where('rotated_at', 'is', null)
          .where('revoked_at', 'is', null)
          .where('expires_at', '>', now)
          .returning('session_id')
        : q.selectNoFrom((eb) => eb.cast<string>(eb.val('sessionId' in source ? source.sessionId : null), 'uuid').as('session_id')))
      .with('live', (q) => 'newFor' in source
        ? q.insertInto('sessions')
          .columns(['user_id', 'created_at', 'last_used_at', 'expires_at', 'user_agent', 'ip', 'amr'])
          .expression((eb) => eb.selectFrom('users')
            .select([
              'users.id',
              eb.val(now).as('created_at'),
              eb.val(now).as('last_used_at'),
              eb.val(new Date(now.getTime() + settings.sessionMaxAgeSeconds * 1000)).as('expires_at'),
              eb.val(source.origin.userAgent?.slice(0, 512) ?? null).as('user_agent'),
              eb.val(source.origin.ip).as('ip'),
              sql<string[]>`${[...source.amr]}::text[]`.as('amr')
            ])
            .where('users.id', '=', source.newFor)
            .where('users.is_active', '=', true)
            .where('users.deleted_at', 'is', null))
          .returning(['id', 'user_id', 'expires_at', 'amr'])
        : q.updateTable('sessions')
          .set({ last_used_at: now })
          .from(['source', 'users'])
          .whereRef('sessions.id', '=', 'source.session_id')
          .whereRef('users.id', '=', 'sessions.user_id')
          .where('sessions.revoked_at', 'is', null)
          .where('sessions.expires_at', '>', now)
          .where('users.is_active', '=', true)
          .where('users.deleted_at', 'is', null)
          .returning(['sessions.id', 'sessions.user_id', 'sessions.expires_at', 'sessions.amr']))
      .with('ins', (q) => q.insertInto('refresh_tokens')
        .columns(['token_hash', 'session_id', 'parent_hash', 'issued_at', 'expires_at'])
        .expression((eb) => eb.selectFrom('live').select([
          eb.val(hashOpaqueToken(refreshToken)).as('token_hash'),
          'live.id',
          eb.val(parentHash).as('parent_hash'),
          eb.val(now).as('issued_at'),
          // Sliding, but never past the session's absolute end.
          sql<Date>`least(${slidingExpiry}::timestamptz, live.expires_at)`.as('expires_at')
        ]))
        .returning(['session_id', 'expires_at']))
      .selectFrom('ins')
      .innerJoin('live', 'live.id', 'ins.session_id')
      .innerJoin('users', 'users.id', 'live.user_id')
      .select([...userColumns, rolesOf('users.id').as('roles'), 'ins.session_id', 'ins.expires_at as token_expires_at', 'live.amr'])
      .executeTakeFirst()
    return row === undefined ? undefined : toGrant(row, refreshToken)
  }

  async function revoke (sessionIds: string[], now: Date): Promise<void> {
    if (sessionIds.length === 0) return
    // The store first: if it is down nothing changes and the caller can retry; the reverse could leave live access tokens.
    await revocations.revokeSessions(sessionIds, settings.revocationTtlSeconds)
    await db.transaction().execute(async (trx) => {
      await trx.updateTable('sessions').set({ revoked_at: now })
        .where('id', 'in', sessionIds).where('revoked_at', 'is', null).execute()
      await trx.updateTable('refresh_tokens').set({ revoked_at: now })
        .where('session_id', 'in', sessionIds).where('revoked_at', 'is', null).execute()
    })
  }

  async function liveSessionIds (userId: string, now: Date): Promise<string[]> {
    const rows = await db.selectFrom('sessions').select('id')
      .where('user_id', '=', userId).where('revoked_at', 'is', null).where('expires_at', '>', now)
      .execute()
    return rows.map((r) => r.id)
  }

  return {
    /**
     * Starts a session for a live, active account; undefined when the account was deactivated or
     * deleted since the caller looked it up (a login racing an admin), with no row left behind.
     */
    async start (userId: string, origin: SessionOrigin, amr: readonly string[]): Promise<SessionGrant | undefined> {
      return await issueInSession({ newFor: userId, origin, amr }, null, new Date())
    },

    /** Retires the presented token and issues the next; a token already retired falls under the grace-period rule. */
    async rotate (presented: string): Promise<RotationResult> {
      const now = new Date()
      const oldHash = hashOpaqueToken(presented)
      const rotated = await issueInSession({ retiring: oldHash }, oldHash, now)
      if (rotated !== undefined) return { kind: 'rotated', grant: rotated }

      const token = await db.selectFrom('refresh_tokens')
        .innerJoin('sessions', 'sessions.id', 'refresh_tokens.session_id')
        .select(['refresh_tokens.session_id', 'refresh_tokens.rotated_at', 'refresh_tokens.revoked_at', 'sessions.user_id'])
        .where('refresh_tokens.token_hash', '=', oldHash)
        .executeTakeFirst()
      if (token === undefined || token.revoked_at !== null || token.rotated_at === null) return { kind: 'invalid' }
      if (now.getTime() - token.rotated_at.getTime() <= settings.reuseGraceSeconds * 1000) {
        const grant = await issueInSession({ sessionId: token.session_id }, oldHash, now)
        return grant === undefined ? { kind: 'invalid' } : { kind: 'rotated', grant }
      }
      await revoke([token.session_id], now)
      return { kind: 'reused', sessionId: token.session_id, userId: token.user_id }
    },

    /** The session a refresh token belongs to, whatever the token's state, if the session is live. */
    async findByRefreshToken (presented: string): Promise<{ sessionId: string, userId: string } | undefined> {
      const row = await db.selectFrom('refresh_tokens')
        .innerJoin('sessions', 'sessions.id', 'refresh_tokens.session_id')
        .select(['sessions.id', 'sessions.user_id'])
        .where('refresh_tokens.token_hash', '=', hashOpaqueToken(presented))
        .where('refresh_tokens.revoked_at', 'is', null)
        .where('sessions.revoked_at', 'is', null)
        .executeTakeFirst()
      return row === undefined ? undefined : { sessionId: row.id, userId: row.user_id }
    },

    liveSessionIds,

    /**
     * The user's sessions that can still be used: not revoked, before their absolute end, and
     * with an unexpired refresh token (an idle session past the sliding lifetime is over). Most recent first.
     */
    async listLive (userId: string): Promise<SessionInfo[]> {
      const now = new Date()
      return await db.selectFrom('sessions')
        .select(['id', 'created_at', 'last_used_at', 'expires_at', 'user_agent', 'ip'])
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .where((eb) => eb.exists(eb.selectFrom('refresh_tokens')
          .select('refresh_tokens.token_hash')
          .whereRef('refresh_tokens.session_id', '=', 'sessions.id')
          .where('refresh_tokens.revoked_at', 'is', null)
          .where('refresh_tokens.expires_at', '>', now)))
        .orderBy('last_used_at', 'desc')
        .orderBy('id')
        .execute()
    },

    /** Ends one session if it is the user's and not ended yet; false otherwise, so another user's id looks unknown. */
    async revokeOwn (userId: string, sessionId: string): Promise<boolean> {
      const session = await db.selectFrom('sessions').select('id')
        .where('id', '=', sessionId).where('user_id', '=', userId).where('revoked_at', 'is', null)
        .executeTakeFirst()
      if (session === undefined) return false
      await revoke([session.id], new Date())
      return true
    },

    revoke: (sessionIds: string[]) => revoke(sessionIds, new Date()),

    /** Ends every live session of the user, optionally sparing one. */
    async revokeAllOf (userId: string, except?: string): Promise<string[]> {
      const now = new Date()
      const ids = (await liveSessionIds(userId, now)).filter((id) => id !== except)
      await revoke(ids, now)
      return ids
    }
  }
}

export type SessionService = ReturnType<typeof createSessionService>
