/** SQL of `password_reset_tokens`; tokens and codes are stored only as hashes. */
import { sql } from 'kysely'
import type { Executor, UserRow } from './types.js'

/** Makes this the account's one reset token. */
export async function replaceResetToken (trx: Executor, token: { hash: string, codeHash: string, userId: string, createdAt: Date, expiresAt: Date }): Promise<void> {
  // The row lock serializes two requests for one user, so exactly one token stays usable.
  await trx.selectFrom('users').select('id').where('id', '=', token.userId).forUpdate().execute()
  await trx.deleteFrom('password_reset_tokens').where('user_id', '=', token.userId).execute()
  await trx.insertInto('password_reset_tokens').values({
    token_hash: token.hash,
    code_hash: token.codeHash,
    user_id: token.userId,
    created_at: token.createdAt,
    expires_at: token.expiresAt
  }).execute()
}

/** The live, active account an unused, unexpired token belongs to. */
export async function findResetTokenUser (db: Executor, hash: string, now: Date): Promise<Pick<UserRow, 'id' | 'email' | 'username'> | undefined> {
  return await db.selectFrom('password_reset_tokens')
    .innerJoin('users', 'users.id', 'password_reset_tokens.user_id')
    .select(['users.id', 'users.email', 'users.username'])
    .where('password_reset_tokens.token_hash', '=', hash)
    .where('password_reset_tokens.used_at', 'is', null)
    .where('password_reset_tokens.expires_at', '>', now)
    .where('users.deleted_at', 'is', null)
    .where('users.is_active', '=', true)
    .executeTakeFirst()
}

/** Marks the token used; false when it was used or expired meanwhile, so only one of racing callers wins. */
export async function consumeResetToken (db: Executor, hash: string, now: Date): Promise<boolean> {
  const consumed = await db.updateTable('password_reset_tokens')
    .set({ used_at: now })
    .where('token_hash', '=', hash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .returning('user_id')
    .executeTakeFirst()
  return consumed !== undefined
}

export async function deleteUnusedResetTokens (db: Executor, userId: string): Promise<void> {
  await db.deleteFrom('password_reset_tokens').where('user_id', '=', userId).where('used_at', 'is', null).execute()
}

/**
 * Counts one code attempt against the open reset token of the live, active account with this
 * email and answers it while under the limit. Counting in the same statement that reads the token
 * holds a burst of parallel guesses to the limit.
 */
export async function takeResetCodeAttempt (db: Executor, email: string, now: Date, maxAttempts: number): Promise<Array<{ token_hash: string, code_hash: string }>> {
  const rows = await db.updateTable('password_reset_tokens')
    .set((eb) => ({ attempts: eb('password_reset_tokens.attempts', '+', 1) }))
    .from('users')
    .whereRef('users.id', '=', 'password_reset_tokens.user_id')
    .where(sql`lower(users.email)`, '=', email)
    .where('users.deleted_at', 'is', null)
    .where('users.is_active', '=', true)
    .where('password_reset_tokens.used_at', 'is', null)
    .where('password_reset_tokens.expires_at', '>', now)
    .where('password_reset_tokens.code_hash', 'is not', null)
    .where('password_reset_tokens.attempts', '<', maxAttempts)
    .returning(['password_reset_tokens.token_hash', 'password_reset_tokens.code_hash'])
    .execute()
  return rows.flatMap((r) => r.code_hash === null ? [] : [{ token_hash: r.token_hash, code_hash: r.code_hash }])
}
