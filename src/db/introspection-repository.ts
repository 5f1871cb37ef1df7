/** SQL of introspection: whether an opaque refresh token is live, in one statement. */
import type { Executor } from './types.js'

export interface LiveRefreshToken {
  session_id: string
  user_id: string
  issued_at: Date
  expires_at: Date
}

/**
 * The refresh token of this hash if it can still be used: neither rotated nor revoked nor
 * expired, of a live session of an active, undeleted account.
 */
export async function findLiveRefreshToken (db: Executor, hash: string, now: Date): Promise<LiveRefreshToken | undefined> {
  return await db.selectFrom('refresh_tokens')
    .innerJoin('sessions', 'sessions.id', 'refresh_tokens.session_id')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select(['refresh_tokens.session_id', 'sessions.user_id', 'refresh_tokens.issued_at', 'refresh_tokens.expires_at'])
    .where('refresh_tokens.token_hash', '=', hash)
    .where('refresh_tokens.rotated_at', 'is', null)
    .where('refresh_tokens.revoked_at', 'is', null)
    .where('refresh_tokens.expires_at', '>', now)
    .where('sessions.revoked_at', 'is', null)
    .where('sessions.expires_at', '>', now)
    .where('users.is_active', '=', true)
    .where('users.deleted_at', 'is', null)
    .executeTakeFirst()
}
