/** SQL of the second factors: the TOTP factor of an account and its recovery codes. */
import { sql, type Kysely } from 'kysely'
import type { Database, Executor, MfaTotpRow } from './types.js'

export interface FactorSummary {
  /** A confirmed TOTP factor is active: the account has MFA on. */
  totp: boolean
  recoveryCodesLeft: number
}

export function createMfaRepository (db: Kysely<Database>) {
  return {
    /** What the account can use as a second factor, in one round trip. */
    async factorsOf (userId: string, executor: Executor = db): Promise<FactorSummary> {
      const row = await executor.selectNoFrom((eb) => [
        eb.exists(eb.selectFrom('mfa_totp').select('user_id').where('user_id', '=', userId).where('confirmed_at', 'is not', null)).as('totp'),
        eb.selectFrom('mfa_recovery_codes').select(sql<string>`count(*)`.as('n'))
          .where('user_id', '=', userId).where('used_at', 'is', null).as('left')
      ]).executeTakeFirstOrThrow()
      return { totp: Boolean(row.totp), recoveryCodesLeft: Number(row.left ?? 0) }
    },

    async findTotp (userId: string, executor: Executor = db): Promise<MfaTotpRow | undefined> {
      return await executor.selectFrom('mfa_totp').selectAll().where('user_id', '=', userId).executeTakeFirst()
    },

    /**
     * Starts (or restarts) a pending enrollment with a new sealed secret; false when a confirmed
     * factor exists, which an enrollment must never overwrite.
     */
    async putPendingTotp (userId: string, secretSealed: string, now: Date): Promise<boolean> {
      const row = await db.insertInto('mfa_totp')
        .values({ user_id: userId, secret_sealed: secretSealed, created_at: now })
        .onConflict((oc) => oc.column('user_id')
          .doUpdateSet({ secret_sealed: secretSealed, created_at: now, last_used_step: null })
          .where('mfa_totp.confirmed_at', 'is', null))
        .returning('user_id')
        .executeTakeFirst()
      return row !== undefined
    },

    /** Activates a pending enrollment started after `pendingSince`, recording the step of the code that confirmed it. */
    async confirmTotp (userId: string, step: number, pendingSince: Date, now: Date, executor: Executor = db): Promise<boolean> {
      const row = await executor.updateTable('mfa_totp')
        .set({ confirmed_at: now, last_used_step: step })
        .where('user_id', '=', userId)
        .where('confirmed_at', 'is', null)
        .where('created_at', '>', pendingSince)
        .returning('user_id')
        .executeTakeFirst()
      return row !== undefined
    },

    /**
     * Records `step` as used if no later or equal step was: of two requests with the same code,
     * exactly one gets true (the conditional UPDATE takes the row lock and re-checks).
     */
    async useTotpStep (userId: string, step: number): Promise<boolean> {
      const row = await db.updateTable('mfa_totp')
        .set({ last_used_step: step })
        .where('user_id', '=', userId)
        .where('confirmed_at', 'is not', null)
        .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', String(step))]))
        .returning('user_id')
        .executeTakeFirst()
      return row !== undefined
    },

    /** Voids every earlier code and stores the new hashes. */
    async replaceRecoveryCodes (userId: string, codeHashes: string[], now: Date, executor: Executor = db): Promise<void> {
      await executor.deleteFrom('mfa_recovery_codes').where('user_id', '=', userId).execute()
      if (codeHashes.length === 0) return
      await executor.insertInto('mfa_recovery_codes')
        .values(codeHashes.map((hash) => ({ user_id: userId, code_hash: hash, created_at: now })))
        .execute()
    },

    /** Spends an unused recovery code; false when it is unknown or already used. */
    async useRecoveryCode (userId: string, codeHash: string, now: Date): Promise<boolean> {
      const row = await db.updateTable('mfa_recovery_codes')
        .set({ used_at: now })
        .where('user_id', '=', userId)
        .where('code_hash', '=', codeHash)
        .where('used_at', 'is', null)
        .returning('user_id')
        .executeTakeFirst()
      return row !== undefined
    },

    /** Removes the TOTP factor and every recovery code; true when there was a factor to remove. */
    async removeAll (userId: string, executor: Executor = db): Promise<boolean> {
      const totp = await executor.deleteFrom('mfa_totp').where('user_id', '=', userId).returning('confirmed_at').execute()
      await executor.deleteFrom('mfa_recovery_codes').where('user_id', '=', userId).execute()
      return totp.some((row) => row.confirmed_at !== null)
    }
  }
}

export type MfaRepository = ReturnType<typeof createMfaRepository>
