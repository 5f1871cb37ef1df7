/** SQL of `password_reset_tokens`; tokens are stored only as hashes. */
import type { Executor, UserRow } from './types.js'

/** Makes this the account's one reset token. */
export async function replaceResetToken (trx: Executor, token: { hash: string, userId: string, createdAt: Date, expiresAt: Date }): Promise<void> {
  // The row lock serializes two requests for one user, so exactly one token stays usable.
  await trx.selectFrom('users').select('id').where('id', '=', token.userId).forUpdate().execute()
  await trx.deleteFrom('password_reset_tokens').where('user_id', '=', token.userId).execute()
  await trx.insertInto('password_reset_tokens').values({
    token_hash: token.hash,
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
