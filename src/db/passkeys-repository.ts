/** SQL of the `passkeys` table: registered WebAuthn credentials, one account each. */
import type { Executor, PasskeyRow } from './types.js'

export interface NewPasskey {
  id: string
  userId: string
  publicKey: Uint8Array
  counter: number
  transports: string[]
  backedUp: boolean
  name: string
}

/** A passkey of a live, active account: what a sign-in needs to check an assertion. */
export type SignInPasskey = Pick<PasskeyRow, 'id' | 'user_id' | 'public_key' | 'counter' | 'transports'>

/** What the account's owner sees: never the key or the counter. */
export type PasskeyListing = Pick<PasskeyRow, 'id' | 'name' | 'created_at' | 'last_used_at' | 'backed_up' | 'transports'>

export type PasskeyDescriptor = Pick<PasskeyRow, 'id' | 'transports'>

const listingColumns = ['id', 'name', 'created_at', 'last_used_at', 'backed_up', 'transports'] as const

/** Undefined when the credential id is registered already (to this account or any other). */
export async function insertPasskey (db: Executor, passkey: NewPasskey): Promise<PasskeyListing | undefined> {
  return await db.insertInto('passkeys').values({
    id: passkey.id,
    user_id: passkey.userId,
    public_key: passkey.publicKey,
    counter: passkey.counter,
    transports: passkey.transports,
    backed_up: passkey.backedUp,
    name: passkey.name
  }).onConflict((oc) => oc.column('id').doNothing())
    .returning(listingColumns)
    .executeTakeFirst()
}

/** Oldest first. */
export async function listPasskeys (db: Executor, userId: string): Promise<PasskeyListing[]> {
  return await db.selectFrom('passkeys').select(listingColumns)
    .where('user_id', '=', userId)
    .orderBy('created_at').orderBy('id')
    .execute()
}

/** The credentials to exclude from a new registration, or to allow in a second-factor check. */
export async function passkeyDescriptors (db: Executor, userId: string): Promise<PasskeyDescriptor[]> {
  return await db.selectFrom('passkeys').select(['id', 'transports'])
    .where('user_id', '=', userId)
    .orderBy('created_at').orderBy('id')
    .execute()
}

export async function findOwnPasskey (db: Executor, userId: string, credentialId: string): Promise<PasskeyListing | undefined> {
  return await db.selectFrom('passkeys').select(listingColumns)
    .where('id', '=', credentialId).where('user_id', '=', userId)
    .executeTakeFirst()
}

export async function findPasskeyForSignIn (db: Executor, credentialId: string): Promise<SignInPasskey | undefined> {
  return await db.selectFrom('passkeys')
    .innerJoin('users', 'users.id', 'passkeys.user_id')
    .select(['passkeys.id', 'passkeys.user_id', 'passkeys.public_key', 'passkeys.counter', 'passkeys.transports'])
    .where('passkeys.id', '=', credentialId)
    .where('users.is_active', '=', true)
    .where('users.deleted_at', 'is', null)
    .executeTakeFirst()
}

/**
 * Records a verified use, only if the signature counter moved forward (or both are 0, for
 * authenticators without a counter): the condition is the clone check, and it holds under
 * concurrent sign-ins. False when the counter did not advance or the passkey is gone.
 */
export async function recordPasskeyUse (db: Executor, credentialId: string, use: { counter: number, backedUp: boolean, at: Date }): Promise<boolean> {
  const result = await db.updateTable('passkeys')
    .set({ counter: use.counter, backed_up: use.backedUp, last_used_at: use.at })
    .where('id', '=', credentialId)
    .where((eb) => use.counter === 0 ? eb('counter', '=', '0') : eb('counter', '<', String(use.counter)))
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}

export async function renamePasskey (db: Executor, userId: string, credentialId: string, name: string): Promise<PasskeyListing | undefined> {
  return await db.updateTable('passkeys').set({ name })
    .where('id', '=', credentialId).where('user_id', '=', userId)
    .returning(listingColumns)
    .executeTakeFirst()
}

export async function removePasskey (db: Executor, userId: string, credentialId: string): Promise<boolean> {
  const result = await db.deleteFrom('passkeys')
    .where('id', '=', credentialId).where('user_id', '=', userId)
    .executeTakeFirst()
  return result.numDeletedRows > 0n
}
