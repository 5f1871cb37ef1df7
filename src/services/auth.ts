/** The token lifecycle: register, login, refresh, logout, revoke, and the per-request access check. */
import { errors } from '../errors.js'
import type { RevocationStore } from '../stores/revocation-store.js'
import type { AuditLog } from './audit.js'
import type { LoginThrottle } from './login-throttle.js'
import type { EmailVerification, VerificationProof } from './email-verification.js'
import type { PasswordHasher } from './password-hasher.js'
import { passwordProblem, type PasswordPolicy } from './password-policy.js'
import type { SessionOrigin, SessionService } from './sessions.js'
import type { IssuedSession, SignIn } from './sign-in.js'
import type { AccessClaims, AccessTokens } from './tokens.js'
import type { PublicUser, UserService } from './users.js'

export type { IssuedSession } from './sign-in.js'

export interface Authenticated {
  claims: AccessClaims
  userVersion: string | null
}

export type LogoutScope = 'local' | 'global' | 'others'

/** `session` is null when `EMAIL_VERIFICATION=required`: the session starts once the email is verified. */
export interface Registration {
  user: PublicUser
  session: IssuedSession | null
}

export interface AuthServiceDeps {
  users: UserService
  sessions: SessionService
  signIn: SignIn
  accessTokens: AccessTokens
  hasher: PasswordHasher
  revocations: RevocationStore
  passwordPolicy: PasswordPolicy
  audit: AuditLog
  throttle: LoginThrottle
  emailVerification: EmailVerification
  /** `EMAIL_VERIFICATION=required`: no session, by password or at registration, before the email is verified. */
  requireVerifiedEmail: boolean
}

export function createAuthService ({
  users, sessions, signIn, accessTokens, hasher, revocations, passwordPolicy, audit, throttle, emailVerification, requireVerifiedEmail
}: AuthServiceDeps) {
  async function checkAccess (claims: AccessClaims): Promise<Authenticated> {
    const state = await revocations.check(claims.sub, claims.sid)
    if (state.sessionRevoked || (state.notBefore !== null && claims.iat < state.notBefore)) throw errors.tokenRevoked()
    return { claims, userVersion: state.userVersion }
  }

  return {
    /** Creates the account and mails its verification; starts a session unless the email must be verified first. */
    async register (input: { email: string, username: string, password: string }, origin: SessionOrigin): Promise<Registration> {
      const problem = passwordProblem(input.password, passwordPolicy, input)
      if (problem !== null) throw errors.weakPassword(problem)
      const user = await users.create({ ...input, passwordHash: await hasher.hash(input.password) })
      emailVerification.mailVerification(user, user.email)
      if (requireVerifiedEmail) {
        audit.record({ type: 'register', userId: user.id, details: { session_id: null } }, origin)
        return { user, session: null }
      }
      // A new account has no second factor yet, so it skips the sign-in step.
      const grant = await sessions.start(user.id, origin, ['pwd'])
      // Only if an admin removed the account within these few milliseconds.
      if (grant === undefined) throw errors.invalidCredentials()
      audit.record({ type: 'register', userId: user.id, details: { session_id: grant.sessionId } }, origin)
      return { user: grant.user, session: signIn.issue(grant) }
    },

    /**
     * Uses a verification link or code, then takes the sign-in step a password login ends in (so
     * `mfa_required` for an account with a second factor). The mailed secret is a one-time password: `otp`.
     */
    async verifyEmail (proof: VerificationProof, origin: SessionOrigin): Promise<IssuedSession> {
      const userId = await emailVerification.verify(proof, origin)
      return await signIn.complete(userId, ['otp'], origin)
    },

    /**
     * Same work and the same answer for an unknown account, a wrong password and a disabled
     * account; only a right password goes on to the sign-in step (and so to `mfa_required`).
     */
    async login (login: string, password: string, origin: SessionOrigin): Promise<IssuedSession> {
      // Throttled on the login as typed and on the account it names; only failures count (login-throttle.ts).
      const loginKey = throttle.loginKey(login)
      await throttle.check([loginKey])
      const user = await users.findForLogin(login)
      if (user === undefined) {
        await hasher.verifyDummy(password)
        audit.record({ type: 'login_failed', userId: null, details: { reason: 'unknown_account' } }, origin)
        await throttle.failed([loginKey])
        throw errors.invalidCredentials()
      }
      const keys = [loginKey, throttle.accountKey(user.id)]
      await throttle.check(keys)
      const valid = await hasher.verify(user.password_hash, password)
      if (!valid || !user.is_active) {
        audit.record({ type: 'login_failed', userId: user.id, details: { reason: valid ? 'inactive_account' : 'wrong_password' } }, origin)
        await throttle.failed(keys)
        throw errors.invalidCredentials()
      }
      if (user.password_hash !== null && hasher.needsRehash(user.password_hash)) {
        // Only replaces the hash it verified: a reset committed meanwhile is never overwritten.
        await users.upgradePasswordHash(user.id, user.password_hash, await hasher.hash(password))
      }
      // Only after the right password, so the answer tells a guesser nothing; and it is no failed guess.
      if (requireVerifiedEmail && !user.email_verified) {
        audit.record({ type: 'login_failed', userId: user.id, details: { reason: 'email_not_verified' } }, origin)
        await throttle.succeeded(keys)
        throw errors.emailNotVerified()
      }
      const issued = await signIn.complete(user.id, ['pwd'], origin)
      await throttle.succeeded(keys)
      return issued
    },

    /** The hot path of a client staying signed in: a success is not audited, a detected reuse is. */
    async refresh (refreshToken: string, origin: SessionOrigin): Promise<IssuedSession> {
      const result = await sessions.rotate(refreshToken)
      if (result.kind === 'invalid') throw errors.invalidRefreshToken()
      if (result.kind === 'reused') {
        audit.record({ type: 'refresh_reuse_detected', userId: result.userId, details: { session_id: result.sessionId } }, origin)
        throw errors.refreshTokenReused()
      }
      return signIn.issue(result.grant)
    },

    /** Verifies the JWT, then one store round trip for the session mark, the user mark and the user version. */
    async authenticate (token: string): Promise<Authenticated> {
      return await checkAccess(await accessTokens.verify(token))
    },

    /** The store half of `authenticate`, for claims already verified. */
    checkAccess,

    async logout (userId: string, sessionId: string, scope: LogoutScope, origin: SessionOrigin): Promise<void> {
      if (scope === 'local') await sessions.revoke(userId, [sessionId])
      else await sessions.revokeAllOf(userId, scope === 'others' ? sessionId : undefined)
      audit.record({ type: 'logout', userId, details: { scope, session_id: sessionId } }, origin)
    },

    /**
     * The session a logout without an access token ends: the one of a current refresh token, or
     * undefined for an unknown or spent one. A retired token is reuse: its session has ended, 401.
     */
    async sessionForLogout (refreshToken: string, origin: SessionOrigin): Promise<{ sessionId: string, userId: string } | undefined> {
      const target = await sessions.endingBy(refreshToken)
      if (target.kind === 'invalid') return undefined
      if (target.kind === 'reused') {
        audit.record({ type: 'refresh_reuse_detected', userId: target.userId, details: { session_id: target.sessionId } }, origin)
        throw errors.refreshTokenReused()
      }
      return { sessionId: target.sessionId, userId: target.userId }
    },

    /** RFC 7009: ends the token's session; unknown tokens are not an error. */
    async revokeRefreshToken (refreshToken: string, origin: SessionOrigin): Promise<void> {
      const session = await sessions.findByRefreshToken(refreshToken)
      if (session === undefined) return
      await sessions.revoke(session.userId, [session.sessionId])
      audit.record({ type: 'logout', userId: session.userId, details: { scope: 'local', session_id: session.sessionId } }, origin)
    }
  }
}

export type AuthService = ReturnType<typeof createAuthService>
