/**
 * Checking a second-factor code (a TOTP code or a recovery code) for an account with MFA on, for
 * the login step and for step-up. A code that passes is spent: its TOTP step is recorded, or the
 * recovery code is marked used. Every check counts in the account's failed-login throttle.
 */
import type { Clock } from '../clock.js'
import type { MfaRepository } from '../db/mfa-repository.js'
import { errors } from '../errors.js'
import type { AuditLog } from './audit.js'
import type { LoginThrottle } from './login-throttle.js'
import { looksLikeTotpCode, recoveryCodeHash } from './recovery-codes.js'
import type { SecretBox } from './secret-box.js'
import type { SessionOrigin } from './sessions.js'
import { matchingTotpStep } from './totp.js'

export type CodeKind = 'totp' | 'recovery_code'

export interface AccountNames {
  id: string
  email: string
  username: string
}

/** The additional data a TOTP secret is sealed with: a sealed secret opens for its own account only. */
export const totpSecretContext = (userId: string): string => `mfa_totp:${userId}`

export interface SecondFactorCheckDeps {
  repository: MfaRepository
  secretBox: SecretBox
  clock: Clock
  throttle: LoginThrottle
  audit: AuditLog
}

export function createSecondFactorCheck ({ repository, secretBox, clock, throttle, audit }: SecondFactorCheckDeps) {
  /** Both spellings an owner can log in with count as the account: a guesser gains nothing by switching. */
  // Both names and the account: a code guessed under either login spends one budget.
  const keysOf = (account: AccountNames & { id: string }) => [throttle.loginKey(account.email), throttle.loginKey(account.username), throttle.accountKey(account.id)]

  async function spendTotp (userId: string, code: string): Promise<boolean> {
    const totp = await repository.findTotp(userId)
    if (totp?.confirmed_at == null) return false
    const secret = secretBox.open(totp.secret_sealed, totpSecretContext(userId)).toString('utf8')
    const step = matchingTotpStep(secret, code.trim(), clock.now())
    return step !== null && await repository.useTotpStep(userId, step)
  }

  async function spendRecoveryCode (userId: string, code: string): Promise<boolean> {
    const hash = recoveryCodeHash(code)
    return hash !== undefined && await repository.useRecoveryCode(userId, hash, new Date(clock.now()))
  }

  /** Checks and spends a code of that kind; false when it does not pass. */
  async function check (account: AccountNames, kind: CodeKind, code: string, origin: SessionOrigin): Promise<boolean> {
    const keys = keysOf(account)
    await throttle.check(keys)
    const passed = kind === 'totp' ? await spendTotp(account.id, code) : await spendRecoveryCode(account.id, code)
    if (!passed) {
      await throttle.failed(keys)
      audit.record({ type: 'mfa_code_failed', userId: account.id, details: { kind } }, origin)
      return false
    }
    await throttle.succeeded(keys)
    if (kind === 'recovery_code') {
      const { recoveryCodesLeft } = await repository.factorsOf(account.id)
      audit.record({ type: 'mfa_recovery_code_used', userId: account.id, details: { codes_left: recoveryCodesLeft } }, origin)
    }
    return true
  }

  return {
    check,

    /**
     * Step-up for a sensitive change: nothing for an account without MFA; otherwise `mfaCode`
     * must be given (400 `mfa_code_required`) and pass (401 `invalid_mfa_code`).
     */
    async requireStepUp (account: AccountNames, mfaCode: string | undefined, origin: SessionOrigin): Promise<void> {
      const { totp } = await repository.factorsOf(account.id)
      if (!totp) return
      if (mfaCode === undefined) throw errors.mfaCodeRequired()
      const kind: CodeKind = looksLikeTotpCode(mfaCode) ? 'totp' : 'recovery_code'
      if (!await check(account, kind, mfaCode, origin)) throw errors.invalidMfaCode()
    }
  }
}

export type SecondFactorCheck = ReturnType<typeof createSecondFactorCheck>
