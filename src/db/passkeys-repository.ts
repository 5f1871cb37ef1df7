/** SQL of the `passkeys` table: registered WebAuthn credentials, one account each. */
import type { Kysely, Transaction } from 'kysely'
import type { Database, PasskeyRow } from './types.js'

type Executor = Kysely<Database> | Transaction<Database>

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

export type PasskeyListing = Omit<PasskeyRow, 'public_key' | 'counter' | 'user_id'>

const listingColumns = ['id', 'name', 'created_at', 'last_used_at', 'backed_up', 'transports'] as const

export function createPasskeysRepository (db: Kysely<Database>) {
  return {
    /** Undefined when the credential id is registered already (to this account or any other). */
    async insert (passkey: NewPasskey, executor: Executor = db): Promise<PasskeyListing | undefined> {
      return await executor.insertInto('passkeys').values({
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
    },

    async listOf (userId: string, executor: Executor = db): Promise<PasskeyListing[]> {
      return await executor.selectFrom('passkeys').select(listingColumns)
        .where('user_id', '=', userId)
        .orderBy('created_at').orderBy('id')
        .execute()
    },

    /** The credentials to exclude from a new registration, or to allow in a second-factor check. */
    async descriptorsOf (userId: string, executor: Executor = db): Promise<Array<Pick<PasskeyRow, 'id' | 'transports'>>> {
      return await executor.selectFrom('passkeys').select(['id', 'transports'])
        .where('user_id', '=', userId)
        .orderBy('created_at').orderBy('id')
        .execute()
    },

    async countOf (userId: string, executor: Executor = db): Promise<number> {
      const row = await executor.selectFrom('passkeys')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('user_id', '=', userId)
        .executeTakeFirstOrThrow()
      return Number(row.n)
    },

    async findForSignIn (credentialId: string, executor: Executor = db): Promise<SignInPasskey | undefined> {
      return await executor.selectFrom('passkeys')
        .innerJoin('users', 'users.id', 'passkeys.user_id')
        .select(['passkeys.id', 'passkeys.user_id', 'passkeys.public_key', 'passkeys.counter', 'passkeys.transports'])
        .where('passkeys.id', '=', credentialId)
        .where('users.is_active', '=', true)
        .where('users.deleted_at', 'is', null)
        .executeTakeFirst()
    },

    /**
     * Records a verified use, only if the signature counter moved forward (or both are 0, for
     * authenticators without a counter): the condition is the clone check, and it holds under
     * concurrent sign-ins. False when the counter did not advance or the passkey is gone.
     */
    async recordUse (credentialId: string, use: { counter: number, backedUp: boolean, at: Date }, executor: Executor = db): Promise<boolean> {
      const result = await executor.updateTable('passkeys')
        .set({ counter: use.counter, backed_up: use.backedUp, last_used_at: use.at })
        .where('id', '=', credentialId)
        .where((eb) => use.counter === 0
          ? eb('counter', '=', '0')
          : eb('counter', '<', String(use.counter)))
        .executeTakeFirst()
      return result.numUpdatedRows > 0n
    },

    async rename (userId: string, credentialId: string, name: string, executor: Executor = db): Promise<PasskeyListing | undefined> {
      return await executor.updateTable('passkeys').set({ name })
        .where('id', '=', credentialId).where('user_id', '=', userId)
        .returning(listingColumns)
        .executeTakeFirst()
    },

    async remove (userId: string, credentialId: string, executor: Executor = db): Promise<boolean> {
      const result = await executor.deleteFrom('passkeys')
        .where('id', '=', credentialId).where('user_id', '=', userId)
        .executeTakeFirst()
      return result.numDeletedRows > 0n
    },

    async findOwn (userId: string, credentialId: string, executor: Executor = db): Promise<PasskeyListing | undefined> {
      return await executor.selectFrom('passkeys').select(listingColumns)
        .where('id', '=', credentialId).where('user_id', '=', userId)
        .executeTakeFirst()
    }
  }
}

export type PasskeysRepository = ReturnType<typeof createPasskeysRepository>
