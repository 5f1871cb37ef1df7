/** Builds the second-factor services from their parts: code checks, enrollment, and the login step. */
import type { Kysely } from 'kysely'
import type { Clock } from '../clock.js'
import type { MfaRepository } from '../db/mfa-repository.js'
import type { Database } from '../db/types.js'
import type { AuditLog } from './audit.js'
import type { LoginThrottle } from './login-throttle.js'
import { createMfaEnrollment, type MfaEnrollmentDeps } from './mfa-enrollment.js'
import { createMfaLogin } from './mfa-login.js'
import type { MfaTokens } from './mfa-tokens.js'
import type { PasswordHasher } from './password-hasher.js'
import { createSecondFactorCheck } from './second-factor-check.js'
import type { SecretBox } from './secret-box.js'
import type { SignIn } from './sign-in.js'
import type { UserService } from './users.js'

export interface MfaServicesDeps {
  db: Kysely<Database>
  repository: MfaRepository
  users: UserService
  hasher: PasswordHasher
  secretBox: SecretBox
  clock: Clock
  throttle: LoginThrottle
  audit: AuditLog
  mfaTokens: MfaTokens
  signIn: SignIn
  onFactorsChanged: MfaEnrollmentDeps['onFactorsChanged']
  serviceName: string
}

export function createMfaServices (deps: MfaServicesDeps) {
  const { repository, secretBox, clock, throttle, audit, users } = deps
  const secondFactor = createSecondFactorCheck({ repository, secretBox, clock, throttle, audit })
  return {
    secondFactor,
    enrollment: createMfaEnrollment({ ...deps, secondFactor }),
    login: createMfaLogin({ mfaTokens: deps.mfaTokens, users, secondFactor, signIn: deps.signIn })
  }
}
