/** SQL of `sessions` and `refresh_tokens`: token families and their rotating tokens; race safety lives here. */
import { sql } from 'kysely'
import type { Executor, SessionRow } from './types.js'
import { publicUserSelection, type PublicUser } from './users-repository.js'

export type SessionInfo = Pick<SessionRow, 'id' | 'created_at' | 'last_used_at' | 'expires_at' | 'user_agent' | 'ip'>

export interface SessionOrigin {
  userAgent: string | null
  ip: string | null
}

/** A new session for an account, a named live one, or the one of the refresh token being retired. */
export type SessionSource =
  | { newFor: string, origin: SessionOrigin, expiresAt: Date, amr: readonly string[] }
  | { sessionId: string }
  | { retiring: string }

export interface NewRefreshToken {
  hash: string
  parentHash: string | null
  /** The sliding expiry; the session's absolute end caps it. */
  expiresAt: Date
}

/** `amr`: the RFC 8176 methods the session started with. */
export type IssuedToken = PublicUser & { session_id: string, token_expires_at: Date, amr: string[] }

/**
 * Adds a refresh token to a live session of a live, active user and marks the session used, in
 * one statement. The session is new, named, or found by retiring a refresh token: the
 * conditional UPDATE lets exactly one of several racing callers retire it (the row lock
 * serializes them, and a loser re-reads `rotated_at`), and the winner's next token comes in
 * the same round trip.
 *
 * One line of descent (API.md): retiring a current token also retires every other unretired
 * token of its session, so a branch a grace-period re-issue left behind dies at the next
 * rotation and its later use is reuse. A sibling locked by a rotation of its own is skipped:
 * that rotation retires this side in turn, and two of them never wait on each other.
 */
export async function issueRefreshToken (db: Executor, source: SessionSource, token: NewRefreshToken, now: Date): Promise<IssuedToken | undefined> {
  return await db
    .with('source', (q) => 'retiring' in source
      ? q.updateTable('refresh_tokens')
        .set({ rotated_at: now })
        .where('token_hash', '=', source.retiring)
        .where('rotated_at', 'is', null)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .returning('session_id')
      : q.selectNoFrom((eb) => eb.cast<string>(eb.val('sessionId' in source ? source.sessionId : null), 'uuid').as('session_id')))
    .with('siblings', (q) => q.updateTable('refresh_tokens')
      .set({ rotated_at: now })
      // A literal, not a bound value: the planner drops the whole update from the plan of a new
      // session or a grace re-issue, instead of planning a scan of the token table for it.
      .where('retiring' in source ? sql<boolean>`true` : sql<boolean>`false`)
      .where('token_hash', 'in', (eb) => eb.selectFrom('refresh_tokens as sibling')
        .select('sibling.token_hash')
        .where('sibling.session_id', 'in', eb.selectFrom('source').select('source.session_id'))
        .where('sibling.token_hash', '<>', 'retiring' in source ? source.retiring : '')
        .where('sibling.rotated_at', 'is', null)
        .where('sibling.revoked_at', 'is', null)
        .forUpdate()
        .skipLocked())
      .returning('token_hash'))
    .with('live', (q) => 'newFor' in source
      ? q.insertInto('sessions')
        .columns(['user_id', 'created_at', 'last_used_at', 'expires_at', 'user_agent', 'ip', 'amr'])
        .expression((eb) => eb.selectFrom('users')
          .select([
            'users.id',
            eb.val(now).as('created_at'),
            eb.val(now).as('last_used_at'),
            eb.val(source.expiresAt).as('expires_at'),
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
        eb.val(token.hash).as('token_hash'),
        'live.id',
        eb.val(token.parentHash).as('parent_hash'),
        eb.val(now).as('issued_at'),
        sql<Date>`least(${token.expiresAt}::timestamptz, live.expires_at)`.as('expires_at')
      ]))
      .returning(['session_id', 'expires_at']))
    .selectFrom('ins')
    .innerJoin('live', 'live.id', 'ins.session_id')
    .innerJoin('users', 'users.id', 'live.user_id')
    .select([...publicUserSelection, 'ins.session_id', 'ins.expires_at as token_expires_at', 'live.amr'])
    .executeTakeFirst()
}

/** A refresh token in whatever state, with its session's owner. */
export async function findRefreshToken (db: Executor, hash: string) {
  return await db.selectFrom('refresh_tokens')
    .innerJoin('sessions', 'sessions.id', 'refresh_tokens.session_id')
    .select(['refresh_tokens.session_id', 'refresh_tokens.rotated_at', 'refresh_tokens.revoked_at', 'refresh_tokens.expires_at',
      'sessions.user_id', 'sessions.revoked_at as session_revoked_at'])
    .where('refresh_tokens.token_hash', '=', hash)
    .executeTakeFirst()
}

/** The unrevoked session of an unrevoked refresh token, whether or not the token was rotated. */
export async function findSessionOfRefreshToken (db: Executor, hash: string): Promise<Pick<SessionRow, 'id' | 'user_id'> | undefined> {
  return await db.selectFrom('refresh_tokens')
    .innerJoin('sessions', 'sessions.id', 'refresh_tokens.session_id')
    .select(['sessions.id', 'sessions.user_id'])
    .where('refresh_tokens.token_hash', '=', hash)
    .where('refresh_tokens.revoked_at', 'is', null)
    .where('sessions.revoked_at', 'is', null)
    .executeTakeFirst()
}

/** Revokes the sessions and every refresh token of them that is not revoked yet. */
export async function revokeSessions (trx: Executor, sessionIds: string[], now: Date): Promise<void> {
  await trx.updateTable('sessions').set({ revoked_at: now })
    .where('id', 'in', sessionIds).where('revoked_at', 'is', null).execute()
  await trx.updateTable('refresh_tokens').set({ revoked_at: now })
    .where('session_id', 'in', sessionIds).where('revoked_at', 'is', null).execute()
}

/** The user's sessions that are neither revoked nor past their absolute end. */
export async function unexpiredSessionIds (db: Executor, userId: string, now: Date): Promise<string[]> {
  const rows = await db.selectFrom('sessions').select('id')
    .where('user_id', '=', userId).where('revoked_at', 'is', null).where('expires_at', '>', now)
    .execute()
  return rows.map((r) => r.id)
}

/**
 * The user's sessions that can still be used: not revoked, before their absolute end, and
 * with an unexpired refresh token (an idle session past the sliding lifetime is over). Most recent first.
 */
export async function listUsableSessions (db: Executor, userId: string, now: Date): Promise<SessionInfo[]> {
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
}

/** The session's id as stored, if it is the user's and not revoked. */
export async function findUnrevokedSessionOf (db: Executor, userId: string, sessionId: string): Promise<string | undefined> {
  const session = await db.selectFrom('sessions').select('id')
    .where('id', '=', sessionId).where('user_id', '=', userId).where('revoked_at', 'is', null)
    .executeTakeFirst()
  return session?.id
}

/**
 * What the account's other sessions say about a new one: whether there are any, and whether one of
 * them used this user agent since `since`.
 */
export async function signInHistory (db: Executor, userId: string, exceptSessionId: string, userAgent: string | null, since: Date): Promise<{ others: boolean, agentSeen: boolean }> {
  const row = await db.selectFrom('sessions')
    .select((eb) => [
      eb.fn.countAll<string>().as('others'),
      eb.fn.count<string>('id').filterWhere((f) => f.and([
        f('last_used_at', '>', since),
        userAgent === null ? f('user_agent', 'is', null) : f('user_agent', '=', userAgent)
      ])).as('seen')
    ])
    .where('user_id', '=', userId)
    .where('id', '<>', exceptSessionId)
    .executeTakeFirstOrThrow()
  return { others: Number(row.others) > 0, agentSeen: Number(row.seen) > 0 }
}
