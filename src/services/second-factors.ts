/** Which second factors an account can use, as `mfa_required` lists them. */
import type { MfaRepository } from '../db/mfa-repository.js'
import type { MfaMethod } from './sign-in.js'

export function createSecondFactors (repository: MfaRepository) {
  return {
    /**
     * Empty when MFA is off (no confirmed TOTP factor). A passkey joins the list as a second
     * factor once MFA is on; recovery codes only while some are left.
     */
    async of (userId: string): Promise<MfaMethod[]> {
      const factors = await repository.factorsOf(userId)
      if (!factors.totp) return []
      return factors.recoveryCodesLeft > 0 ? ['totp', 'recovery_code'] : ['totp']
    }
  }
}

export type SecondFactors = ReturnType<typeof createSecondFactors>
