/** An account after it exists: password recovery by mail, password changes, profile, deletion, sessions. */
import type { Kysely } from 'kysely'
import * as resetTokens from '../db/reset-tokens-repository.js'
import type { Database, Executor } from '../db/types.js'
import { errors } from '../errors.js'
import type { RevocationStore } from '../stores/revocation-store.js'
import type { AuditLog } from './audit.js'
import type { BackgroundTasks } from './background.js'
import type { EmailVerification } from './email-verification.js'
import type { Notifier } from './notifier.js'
import { codeMatches, generateCode, hashCode, MAX_CODE_ATTEMPTS } from './one-time-codes.js'
import type { PasswordHasher } from './password-hasher.js'
import type { PasswordRecheck } from './password-recheck.js'
import { passwordProblem, type PasswordPolicy } from './password-policy.js'
import type { SessionInfo, SessionOrigin, SessionService } from './sessions.js'
import { assertNotLastAdmin } from './admin-users.js'
import { generateOpaqueToken, hashOpaqueToken } from './tokens.js'
import type { PublicUser, UserService } from './users.js'

export interface AccountSettings {
  resetTokenTtlSeconds: number
  /** How long a "tokens issued before" mark must live: an access token's lifetime plus clock skew. */
  revocationTtlSeconds: number
}

export interface AccountServiceDeps {
  db: Kysely<Database>
  users: UserService
  sessions: SessionService
  revocations: RevocationStore
  hasher: PasswordHasher
  recheck: PasswordRecheck
  policy: PasswordPolicy
  notifier: Notifier
  emailVerification: EmailVerification
  background: BackgroundTasks
  audit: AuditLog
  /** With MFA on, a sensitive change also needs `mfa_code`: 400 `mfa_code_required` without it, 401 `invalid_mfa_code` when wrong. */
  stepUp: (account: { id: string, email: string, username: string }, mfaCode: string | undefined, origin: SessionOrigin) => Promise<void>
  settings: AccountSettings
  now?: () => Date
}

/** A reset link's token, or the account's email with the code of the same mail. */
export type ResetProof = { token: string } | { email: string, code: string }

interface SessionEnding {
  /** The session to spare (the caller's own), if any. */
  keep?: string
  /** Also void every access token of the user issued before now, whatever its session. */
  voidAccessTokens?: boolean
}

export interface ProfileChanges {
  email?: string
  username?: string
  currentPassword?: string
  mfaCode?: string
}

export function createAccountService ({
  db, users, sessions, revocations, hasher, recheck, policy, notifier, emailVerification, background, audit, stepUp, settings, now = () => new Date()
}: AccountServiceDeps) {
  /**
   * Ends the user's sessions around a credential change. Before it, so that a store outage
   * fails the request while nothing has changed yet; after it, for any session started with
   * the old credentials in between; then cached copies of the user go stale.
   */
  async function changeCredentials (userId: string, ending: SessionEnding, change: () => Promise<void>): Promise<void> {
    await sessions.revokeAllOf(userId, ending.keep)
    await change()
    await sessions.revokeAllOf(userId, ending.keep)
    if (ending.voidAccessTokens) {
      // Access tokens of the same second stay valid (`iat < mark`), but their sessions are ended above.
      await revocations.revokeUserTokensBefore(userId, Math.floor(Date.now() / 1000), settings.revocationTtlSeconds)
    }
    await users.changed(userId)
  }

  /** Unused reset links must not undo a change of the password or of the email they were mailed to. */
  async function voidResetTokens (userId: string, executor: Executor): Promise<void> {
    await resetTokens.deleteUnusedResetTokens(executor, userId)
  }

  async function issueResetToken (email: string, origin: SessionOrigin): Promise<void> {
    const user = await users.findActiveByEmail(email)
    audit.record({ type: 'password_reset_requested', userId: user?.id ?? null }, origin)
    if (user === undefined) return
    const token = generateOpaqueToken()
    const hash = hashOpaqueToken(token)
    const code = generateCode()
    const createdAt = now()
    await db.transaction().execute((trx) => resetTokens.replaceResetToken(trx, {
      hash,
      codeHash: hashCode(hash, code),
      userId: user.id,
      createdAt,
      expiresAt: new Date(createdAt.getTime() + settings.resetTokenTtlSeconds * 1000)
    }))
    notifier.send('reset-password', user, { token, code, ttlSeconds: settings.resetTokenTtlSeconds })
  }

  /** The hash of the reset token a proof names; for a code, each try counts against the limit. */
  async function resetTokenHashOf (proof: ResetProof): Promise<string | undefined> {
    if ('token' in proof) return hashOpaqueToken(proof.token)
    const open = await resetTokens.takeResetCodeAttempt(db, proof.email.trim().toLowerCase(), now(), MAX_CODE_ATTEMPTS)
    return open.find((row) => codeMatches(row.token_hash, proof.code, row.code_hash))?.token_hash
  }

  /** The live account, or 401 token_revoked: a valid token whose account is gone has nothing to act on. */
  async function credentialsOf (userId: string) {
    const account = await users.findCredentials(userId)
    if (account === undefined) throw errors.tokenRevoked()
    return account
  }

  return {
    /**
     * Mails a single-use reset link when a live, active account has this email. Returns at once
     * and the same way whether or not the account exists: the lookup and the mail happen off
     * the caller's path, so neither the answer nor its timing tells anything.
     */
    requestPasswordReset (email: string, origin: SessionOrigin): void {
      background.run('password reset request', () => issueResetToken(email, origin))
    },

    /** Sets a new password with a reset link's token or the mail's code; ends every session and voids every earlier access token. */
    async resetPassword (proof: ResetProof, newPassword: string, origin: SessionOrigin): Promise<void> {
      const tokenHash = await resetTokenHashOf(proof)
      const found = tokenHash === undefined ? undefined : await resetTokens.findResetTokenUser(db, tokenHash, now())
      if (tokenHash === undefined || found === undefined) throw errors.invalidResetToken()
      // A refused password leaves the token usable, so the user can try again from the same mail.
      const problem = passwordProblem(newPassword, policy, found)
      if (problem !== null) throw errors.weakPassword(problem, '/new_password')
      const passwordHash = await hasher.hash(newPassword)

      await changeCredentials(found.id, { voidAccessTokens: true }, () => db.transaction().execute(async (trx) => {
        if (!await resetTokens.consumeResetToken(trx, tokenHash, now())) throw errors.invalidResetToken()
        await users.setPasswordHash(found.id, passwordHash, trx)
        await voidResetTokens(found.id, trx)
      }))
      audit.record({ type: 'password_reset_completed', userId: found.id }, origin)
      notifier.send('password-changed', found, { origin })
    },

    /** Needs the current password (and the second factor, with MFA on); ends every other session and keeps the caller's. */
    async changePassword (userId: string, sessionId: string, currentPassword: string, newPassword: string, mfaCode: string | undefined, origin: SessionOrigin): Promise<void> {
      const account = await credentialsOf(userId)
      await recheck.confirm(userId, account.password_hash, currentPassword)
      await stepUp(account, mfaCode, origin)
      const problem = passwordProblem(newPassword, policy, account)
      if (problem !== null) throw errors.weakPassword(problem, '/new_password')
      const passwordHash = await hasher.hash(newPassword)
      await changeCredentials(userId, { keep: sessionId }, () => db.transaction().execute(async (trx) => {
        await users.setPasswordHash(userId, passwordHash, trx)
        await voidResetTokens(userId, trx)
      }))
      audit.record({ type: 'password_changed', userId }, origin)
      notifier.send('password-changed', account, { origin })
    },

    /**
     * Changes the username at once, and starts a change of the email: the new address waits in
     * `pending_email` until its verification is used. A new email needs the current password
     * (whoever holds the email can reset the password); a new username does not. A password given
     * is always checked.
     */
    async updateProfile (userId: string, changes: ProfileChanges, origin: SessionOrigin): Promise<PublicUser> {
      const account = await credentialsOf(userId)
      const email = changes.email?.toLowerCase()
      const fields: { email?: string, username?: string } = {
        ...(email === undefined || email === account.email ? {} : { email }),
        ...(changes.username === undefined || changes.username === account.username ? {} : { username: changes.username })
      }
      if (fields.email !== undefined && changes.currentPassword === undefined) {
        throw errors.validation('Changing the email needs `current_password`.', [{ path: '/current_password', message: 'is required to change the email' }])
      }
      if (changes.currentPassword !== undefined) await recheck.confirm(userId, account.password_hash, changes.currentPassword)
      if (fields.email !== undefined) await stepUp(account, changes.mfaCode, origin)
      if (fields.username !== undefined && await users.updateProfile(userId, { username: fields.username }) === undefined) throw errors.tokenRevoked()
      if (fields.email !== undefined) {
        await emailVerification.requestEmailChange({ ...account, username: fields.username ?? account.username }, fields.email, origin)
      }
      if (fields.username !== undefined) {
        await users.changed(userId)
        audit.record({ type: 'profile_updated', userId, details: { fields: ['username'] } }, origin)
      }
      const user = await users.findPublic(userId)
      if (user === undefined) throw errors.tokenRevoked()
      return user
    },

    /** Soft delete after a password confirmation (and the second factor, with MFA on); every session and access token ends at once. */
    async deleteAccount (userId: string, password: string, mfaCode: string | undefined, origin: SessionOrigin): Promise<void> {
      const account = await credentialsOf(userId)
      await recheck.confirm(userId, account.password_hash, password, '/password')
      await stepUp(account, mfaCode, origin)
      // Checked first so a refusal leaves the sessions alone, and again under the lock against a racing removal.
      await db.transaction().execute((trx) => assertNotLastAdmin(trx, userId))
      await changeCredentials(userId, { voidAccessTokens: true }, () => db.transaction().execute(async (trx) => {
        await assertNotLastAdmin(trx, userId)
        await users.markDeleted(userId, trx)
        await voidResetTokens(userId, trx)
      }))
      audit.record({ type: 'account_deleted', userId }, origin)
    },

    async listSessions (userId: string, currentSessionId: string): Promise<Array<SessionInfo & { current: boolean }>> {
      const live = await sessions.listLive(userId)
      return live.map((session) => ({ ...session, current: session.id === currentSessionId }))
    },

    /** Ends one of the user's own sessions; another user's session is 404, as if it did not exist. */
    async endSession (userId: string, sessionId: string, origin: SessionOrigin): Promise<void> {
      if (!await sessions.revokeOwn(userId, sessionId)) throw errors.notFound('No such session among yours.')
      audit.record({ type: 'logout', userId, details: { scope: 'session', session_id: sessionId.toLowerCase() } }, origin)
    }
  }
}

export type AccountService = ReturnType<typeof createAccountService>
