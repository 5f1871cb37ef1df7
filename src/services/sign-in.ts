/**
 * The one step every sign-in path takes once it has verified a first factor (password login, the
 * password grant, verify-email, passkey login, provider sign-in): start a session, or, for an
 * account with a second factor, answer `mfa_required` with an `mfa_token` and the methods it can use.
 */
import { errors } from '../errors.js'
import type { AuditLog } from './audit.js'
import type { MfaTokens } from './mfa-tokens.js'
import type { SessionGrant, SessionOrigin, SessionService } from './sessions.js'
import type { AccessTokens } from './tokens.js'
import type { PublicUser } from './users.js'

/** RFC 8176 values this service records (API.md, Multi-factor authentication). */
export type AuthMethod = 'pwd' | 'otp' | 'hwk' | 'fed' | 'mfa'

/** The second factors `mfa_required` can offer and `POST /auth/mfa/verify` can take. */
export type MfaMethod = 'totp' | 'recovery_code' | 'passkey'

export interface IssuedSession {
  accessToken: string
  expiresIn: number
  refreshToken: string
  refreshExpiresIn: number
  sessionId: string
  user: PublicUser
}

export interface SignInDeps {
  sessions: SessionService
  accessTokens: AccessTokens
  mfaTokens: MfaTokens
  /** The second factors the account can use now; none means MFA is off for it. */
  secondFactorsOf: (userId: string) => Promise<MfaMethod[]>
  audit: AuditLog
  /** Told of every session a sign-in starts (the `new-sign-in` notice). */
  sessionStarted?: (user: PublicUser, sessionId: string, origin: SessionOrigin) => void
}

export function createSignIn ({ sessions, accessTokens, mfaTokens, secondFactorsOf, audit, sessionStarted }: SignInDeps) {
  /** Session tokens for a grant (a new session or a rotation): the access token carries the session's `amr`. */
  function issue (grant: SessionGrant): IssuedSession {
    const access = accessTokens.issue(grant.user.id, grant.sessionId, grant.user.roles, grant.amr)
    return {
      accessToken: access.token,
      expiresIn: access.expiresIn,
      refreshToken: grant.refreshToken,
      refreshExpiresIn: Math.max(0, Math.floor((grant.refreshExpiresAt.getTime() - grant.issuedAt.getTime()) / 1000)),
      sessionId: grant.sessionId,
      user: grant.user
    }
  }

  /** Starts the session once every factor the account needs is verified. */
  async function start (userId: string, amr: readonly AuthMethod[], origin: SessionOrigin): Promise<IssuedSession> {
    const grant = await sessions.start(userId, origin, amr)
    // Only if the account was deactivated or deleted since the caller looked it up.
    if (grant === undefined) throw errors.invalidCredentials()
    audit.record({ type: 'login_succeeded', userId, details: { session_id: grant.sessionId, amr: [...amr] } }, origin)
    sessionStarted?.(grant.user, grant.sessionId, origin)
    return issue(grant)
  }

  return {
    issue,
    start,

    /**
     * Call right after the first factor verified (`amr` says which: `['pwd']`, `['fed']`,
     * `['hwk']`; `['hwk', 'mfa']` for a user-verifying passkey, which is two factors already).
     * Answers the session, or throws 401 `mfa_required` carrying `mfa_token` and `methods`.
     */
    async complete (userId: string, amr: readonly AuthMethod[], origin: SessionOrigin): Promise<IssuedSession> {
      if (!amr.includes('mfa')) {
        const methods = await secondFactorsOf(userId)
        if (methods.length > 0) {
          const mfaToken = await mfaTokens.issue(userId, amr)
          audit.record({ type: 'mfa_required', userId, details: { methods, amr: [...amr] } }, origin)
          throw errors.mfaRequired(mfaToken, methods)
        }
      }
      return await start(userId, amr, origin)
    }
  }
}

export type SignIn = ReturnType<typeof createSignIn>
