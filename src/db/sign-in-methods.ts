/** The ways an account can sign in, counted under a lock so that no two removals leave it with none. */
import { sql, type Transaction } from 'kysely'
import type { Database } from './types.js'

export interface SignInMethods {
  password: boolean
  passkeys: number
  identities: number
}

/**
 * Locks the live account's row (two concurrent removals of its sign-in methods then run one after
 * the other, each seeing what the other left) and counts its methods; undefined when it is gone.
 */
export async function lockSignInMethods (trx: Transaction<Database>, userId: string): Promise<SignInMethods | undefined> {
  const row = await trx.selectFrom('users')
    .select([
      sql<boolean>`users.password_hash is not null`.as('password'),
      (eb) => eb.selectFrom('passkeys').select((c) => c.fn.countAll<string>().as('n')).whereRef('passkeys.user_id', '=', 'users.id').as('passkeys'),
      (eb) => eb.selectFrom('identities').select((c) => c.fn.countAll<string>().as('n')).whereRef('identities.user_id', '=', 'users.id').as('identities')
    ])
    .where('users.id', '=', userId)
    .where('users.deleted_at', 'is', null)
    .forUpdate()
    .executeTakeFirst()
  return row === undefined ? undefined : { password: row.password, passkeys: Number(row.passkeys ?? 0), identities: Number(row.identities ?? 0) }
}

export function totalOf (methods: SignInMethods): number {
  return (methods.password ? 1 : 0) + methods.passkeys + methods.identities
}
