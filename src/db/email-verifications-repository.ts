/** SQL of email verification: the mails of `email_verifications` and the account columns they change. */
import { sql, type Kysely, type Transaction } from 'kysely'
import { errors } from '../errors.js'
import type { Database, Executor } from './types.js'

export interface NewVerification {
  tokenHash: string
  userId: string
  email: string
  codeHash: string
  createdAt: Date
  expiresAt: Date
}

/** A newer mail voids the older: the account's open verifications are replaced by this one, under the account's row lock. */
export async function replaceOpenVerification (db: Kysely<Database>, row: NewVerification): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.selectFrom('users').select('id').where('id', '=', row.userId).forUpdate().execute()
    await trx.deleteFrom('email_verifications').where('user_id', '=', row.userId).where('used_at', 'is', null).execute()
    await trx.insertInto('email_verifications').values({
      token_hash: row.tokenHash,
      user_id: row.userId,
      email: row.email,
      code_hash: row.codeHash,
      created_at: row.createdAt,
      expires_at: row.expiresAt
    }).execute()
  })
}

/** The account a link token names, whatever the token's state; the consuming statement judges it. */
export async function findVerificationOwner (db: Executor, tokenHash: string): Promise<string | undefined> {
  const row = await db.selectFrom('email_verifications').select('user_id').where('token_hash', '=', tokenHash).executeTakeFirst()
  return row?.user_id
}

/**
 * Counts one code attempt against every open mail to this address and answers those still under
 * the limit. Counting first, in the same statement, is what holds a burst of parallel guesses to the
 * limit: each one takes an attempt under the row lock before its code is compared.
 */
export async function takeCodeAttempt (db: Executor, email: string, now: Date, maxAttempts: number): Promise<Array<{ token_hash: string, code_hash: string, user_id: string }>> {
  return await db.updateTable('email_verifications')
    .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
    .where('email', '=', email)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .where('attempts', '<', maxAttempts)
    .returning(['token_hash', 'code_hash', 'user_id'])
    .execute()
}

/** Marks an open, unexpired mail used; only one of several racing callers gets its address back. */
export async function consumeVerification (db: Executor, tokenHash: string, now: Date): Promise<{ user_id: string, email: string } | undefined> {
  return await db.updateTable('email_verifications')
    .set({ used_at: now })
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .returning(['user_id', 'email'])
    .executeTakeFirst()
}

export async function voidOpenVerifications (db: Executor, userId: string): Promise<void> {
  await db.deleteFrom('email_verifications').where('user_id', '=', userId).where('used_at', 'is', null).execute()
}

export interface VerificationAccount {
  id: string
  email: string
  username: string
  pending_email: string | null
  is_active: boolean
}

/** The live account, locked until the transaction ends, so the address it is checked against cannot move meanwhile. */
export async function lockAccount (trx: Transaction<Database>, userId: string): Promise<VerificationAccount | undefined> {
  return await trx.selectFrom('users')
    .select(['id', 'email', 'username', 'pending_email', 'is_active'])
    .where('id', '=', userId)
    .where('deleted_at', 'is', null)
    .forUpdate()
    .executeTakeFirst()
}

export async function markEmailVerified (db: Executor, userId: string, now: Date): Promise<void> {
  await db.updateTable('users')
    .set({ email_verified_at: sql<Date>`coalesce(email_verified_at, ${now})`, updated_at: now })
    .where('id', '=', userId)
    .execute()
}

/** The pending address becomes the verified email; 409 email_taken when another live account holds it by now. */
export async function applyPendingEmail (db: Executor, userId: string, now: Date): Promise<void> {
  try {
    await db.updateTable('users')
      .set((eb) => ({ email: eb.ref('pending_email').$castTo<string>(), pending_email: null, email_verified_at: now, updated_at: now }))
      .where('id', '=', userId)
      .where('pending_email', 'is not', null)
      .execute()
  } catch (err) {
    if (typeof err === 'object' && err !== null && (err as { constraint?: unknown }).constraint === 'users_email_live_key') throw errors.emailTaken()
    throw err
  }
}

export async function setPendingEmail (db: Executor, userId: string, email: string | null, now: Date): Promise<void> {
  await db.updateTable('users').set({ pending_email: email, updated_at: now }).where('id', '=', userId).execute()
}

/** Whether a live account other than `userId` has this email (a pending change to it would end in 409 anyway). */
export async function emailHeldByOther (db: Executor, email: string, userId: string): Promise<boolean> {
  const row = await db.selectFrom('users').select('id')
    .where(sql`lower(email)`, '=', email)
    .where('deleted_at', 'is', null)
    .where('id', '<>', userId)
    .executeTakeFirst()
  return row !== undefined
}

/**
 * The live, active accounts a verification mail to this address would be for: one whose email it
 * is and is not verified yet, and any that wait to change to it.
 */
export async function findAwaitingVerification (db: Executor, email: string): Promise<VerificationAccount[]> {
  return await db.selectFrom('users')
    .select(['id', 'email', 'username', 'pending_email', 'is_active'])
    .where('deleted_at', 'is', null)
    .where('is_active', '=', true)
    .where((eb) => eb.or([
      eb.and([eb(sql`lower(email)`, '=', email), eb('email_verified', '=', false)]),
      eb('pending_email', '=', email)
    ]))
    .limit(5)
    .execute()
}

/** An admin's mark; the timestamp of a first verification is kept when it is set again. */
export async function setEmailVerified (db: Executor, userId: string, verified: boolean, now: Date): Promise<void> {
  await db.updateTable('users')
    .set({ email_verified_at: verified ? sql<Date>`coalesce(email_verified_at, ${now})` : null })
    .where('id', '=', userId)
    .execute()
}
