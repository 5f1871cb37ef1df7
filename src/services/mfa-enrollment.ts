/**
 * The signed-in account's own second factors: TOTP enrollment and confirmation, recovery codes,
 * disabling, and the summary `GET /users/me/mfa` shows. Every change needs the password, and once
 * MFA is on also a code (step-up).
 */
import type { Kysely } from 'kysely'
import type { Clock } from '../clock.js'
import type { MfaRepository } from '../db/mfa-repository.js'
import type { Database } from '../db/types.js'
import { errors } from '../errors.js'
import type { AuditLog } from './audit.js'
import type { PasswordHasher } from './password-hasher.js'
import { newRecoveryCodes, recoveryCodeHash } from './recovery-codes.js'
import { totpSecretContext, type AccountNames, type SecondFactorCheck } from './second-factor-check.js'
import type { SecretBox } from './secret-box.js'
import type { SessionOrigin } from './sessions.js'
import { matchingTotpStep, newTotpSecret, totpUri } from './totp.js'
import type { UserService } from './users.js'

/** API.md: an enrollment not confirmed within 10 minutes is void. */
export const TOTP_ENROLLMENT_TTL_SECONDS = 600

export type FactorChange = 'enabled' | 'disabled' | 'recovery_codes'

export interface MfaStatus {
  totp: boolean
  passkeys: number
  recovery_codes_left: number
}

export interface TotpEnrollment {
  secret: string
  otpauth_uri: string
}

export interface MfaEnrollmentDeps {
  db: Kysely<Database>
  repository: MfaRepository
  users: UserService
  hasher: PasswordHasher
  secretBox: SecretBox
  secondFactor: SecondFactorCheck
  clock: Clock
  audit: AuditLog
  /** Called after every change of the account's factors (mail, cache). */
  onFactorsChanged: (account: AccountNames, change: FactorChange, origin: SessionOrigin) => Promise<void>
  /** The issuer an authenticator app shows next to the code. */
  serviceName: string
}

export function createMfaEnrollment (deps: MfaEnrollmentDeps) {
  const { db, repository, users, hasher, secretBox, secondFactor, clock, audit, onFactorsChanged, serviceName } = deps

  /** The live account, after its password was re-checked; the token's account being gone is token_revoked. */
  async function accountWithPassword (userId: string, password: string): Promise<AccountNames> {
    const account = await users.findCredentials(userId)
    if (account === undefined) throw errors.tokenRevoked()
    if (!await hasher.verify(account.password_hash, password)) throw errors.invalidCurrentPassword('/password')
    return { id: account.id, email: account.email, username: account.username }
  }

  async function issueRecoveryCodes (userId: string, executor: Kysely<Database> = db): Promise<string[]> {
    const codes = newRecoveryCodes()
    await repository.replaceRecoveryCodes(userId, codes.map((code) => recoveryCodeHash(code) ?? ''), new Date(clock.now()), executor)
    return codes
  }

  return {
    async status (userId: string): Promise<MfaStatus> {
      const factors = await repository.factorsOf(userId)
      return { totp: factors.totp, passkeys: 0, recovery_codes_left: factors.totp ? factors.recoveryCodesLeft : 0 }
    },

    /** A new secret, pending until confirmed; starting again replaces a pending one. 409 while a factor is active. */
    async startTotp (userId: string, password: string, origin: SessionOrigin): Promise<TotpEnrollment> {
      const account = await accountWithPassword(userId, password)
      const secret = newTotpSecret()
      const stored = await repository.putPendingTotp(userId, secretBox.seal(secret, totpSecretContext(userId)), new Date(clock.now()))
      if (!stored) throw errors.conflict('TOTP is already on for this account; disable it first to enroll another authenticator.')
      audit.record({ type: 'mfa_totp_enrollment_started', userId }, origin)
      return { secret, otpauth_uri: totpUri(secret, serviceName, account.email) }
    },

    /** Activates the pending factor with a code from the app; answers the recovery codes, shown this once. */
    async confirmTotp (userId: string, code: string, origin: SessionOrigin): Promise<string[]> {
      const now = clock.now()
      const pending = await repository.findTotp(userId)
      if (pending?.confirmed_at !== null) {
        throw pending === undefined
          ? errors.notFound('No TOTP enrollment is pending; start one with POST /users/me/mfa/totp.')
          : errors.conflict('TOTP is already on for this account.')
      }
      const pendingSince = new Date(now - TOTP_ENROLLMENT_TTL_SECONDS * 1000)
      if (pending.created_at <= pendingSince) throw errors.notFound('The TOTP enrollment is over 10 minutes old; start a new one.')
      const secret = secretBox.open(pending.secret_sealed, totpSecretContext(userId)).toString('utf8')
      const step = matchingTotpStep(secret, code.trim(), now)
      if (step === null) throw errors.invalidMfaCode()
      const codes = await db.transaction().execute(async (trx) => {
        if (!await repository.confirmTotp(userId, pending.secret_sealed, step, pendingSince, new Date(now), trx)) return undefined
        return await issueRecoveryCodes(userId, trx)
      })
      // A racing confirmation or a new enrollment got there first.
      if (codes === undefined) throw errors.invalidMfaCode()
      audit.record({ type: 'mfa_totp_enabled', userId }, origin)
      const account = await users.findCredentials(userId)
      if (account !== undefined) await onFactorsChanged(account, 'enabled', origin)
      return codes
    },

    /** Turns MFA off: the TOTP factor and every recovery code go. */
    async disableTotp (userId: string, password: string, mfaCode: string | undefined, origin: SessionOrigin): Promise<void> {
      const account = await accountWithPassword(userId, password)
      await secondFactor.requireStepUp(account, mfaCode, origin)
      const wasOn = await repository.removeAll(userId)
      if (!wasOn) return
      audit.record({ type: 'mfa_totp_disabled', userId }, origin)
      await onFactorsChanged(account, 'disabled', origin)
    },

    /** New recovery codes; the old ones are void. 409 without an active factor. */
    async regenerateRecoveryCodes (userId: string, password: string, mfaCode: string | undefined, origin: SessionOrigin): Promise<string[]> {
      const account = await accountWithPassword(userId, password)
      if (!(await repository.factorsOf(userId)).totp) throw errors.conflict('Recovery codes come with TOTP; turn TOTP on first.')
      await secondFactor.requireStepUp(account, mfaCode, origin)
      const codes = await issueRecoveryCodes(userId)
      audit.record({ type: 'mfa_recovery_codes_regenerated', userId }, origin)
      await onFactorsChanged(account, 'recovery_codes', origin)
      return codes
    }
  }
}

export type MfaEnrollment = ReturnType<typeof createMfaEnrollment>
