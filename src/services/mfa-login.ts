/** `POST /auth/mfa/verify`: completes a sign-in that answered `mfa_required`, with the second factor. */
import { errors } from '../errors.js'
import type { MfaTokens } from './mfa-tokens.js'
import type { CodeKind, SecondFactorCheck } from './second-factor-check.js'
import type { SessionOrigin } from './sessions.js'
import type { AuthMethod, IssuedSession, SignIn } from './sign-in.js'
import type { UserService } from './users.js'

/** What the client proves the second factor with: `code` (TOTP) or `recovery_code`. */
export interface SecondFactorProof {
  kind: CodeKind
  code: string
}

export interface MfaLoginDeps {
  mfaTokens: MfaTokens
  users: UserService
  secondFactor: SecondFactorCheck
  signIn: SignIn
}

export function createMfaLogin ({ mfaTokens, users, secondFactor, signIn }: MfaLoginDeps) {
  return {
    /**
     * One attempt is counted against the token before the code is checked; the 5th wrong code
     * spends it. A code that passes spends the token too, so it completes exactly one login.
     */
    async verify (mfaToken: string, proof: SecondFactorProof, origin: SessionOrigin): Promise<IssuedSession> {
      const challenge = await mfaTokens.attempt(mfaToken)
      const account = await users.findCredentials(challenge.userId)
      if (account === undefined) {
        await mfaTokens.spend(mfaToken)
        throw errors.invalidMfaToken()
      }
      if (!await secondFactor.check(account, proof.kind, proof.code, origin)) {
        if (challenge.lastAttempt) await mfaTokens.spend(mfaToken)
        throw errors.invalidMfaCode()
      }
      if (!await mfaTokens.redeem(mfaToken)) throw errors.invalidMfaToken()
      const amr: AuthMethod[] = [...challenge.amr as AuthMethod[], 'otp', 'mfa']
      return await signIn.start(challenge.userId, amr, origin)
    }
  }
}

export type MfaLogin = ReturnType<typeof createMfaLogin>
