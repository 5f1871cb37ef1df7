/** An account after it exists: password recovery by mail, password changes, profile, deletion, sessions. */
import type { Kysely } from 'kysely'
import * as resetTokens from '../db/reset-tokens-repository.js'
import type { Database, Executor } from '../db/types.js'
import { errors } from '../errors.js'
import type { RevocationStore } from '../stores/revocation-store.js'
import type { AuditLog } from './audit.js'
import type { BackgroundTasks } from './background.js'
import type { Mailer, MailMessage } from './mail.js'
import type { PasswordHasher } from './password-hasher.js'
import { passwordProblem, type PasswordPolicy } from './password-policy.js'
import type { SessionInfo, SessionOrigin, SessionService } from './sessions.js'
import { assertNotLastAdmin } from './admin-users.js'
import { generateOpaqueToken, hashOpaqueToken } from './tokens.js'
import type { PublicUser, UserService } from './users.js'

export interface AccountSettings {
  resetTokenTtlSeconds: number
  /** Where the client app lives; the reset link is `<appUrl>/reset-password?token=…`. */
  appUrl: string
  /** How long a "tokens issued before" mark must live: an access token's lifetime plus clock skew. */
  revocationTtlSeconds: number
}

export interface AccountServiceDeps {
  db: Kysely<Database>
  users: UserService
  sessions: SessionService
  revocations: RevocationStore
  hasher: PasswordHasher
  policy: PasswordPolicy
  mailer: Mailer
  background: BackgroundTasks
  audit: AuditLog
  settings: AccountSettings
}

interface SessionEnding {
  /** The session to spare (the caller's own), if any. */
  keep?: string
  /** Also void every access token of the user issued before now, whatever its session. */
  voidAccessTokens?: boolean
}

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

function resetLink (appUrl: string, token: string): string {
  return `${appUrl.replace(/\/+$/, '')}/reset-password?token=${encodeURIComponent(token)}`
}

function passwordResetMail (to: string, link: string, ttlSeconds: number): MailMessage {
  const minutes = Math.max(1, Math.round(ttlSeconds / 60))
  const validity = `It works once, within ${minutes} minute${minutes === 1 ? '' : 's'}.`
  const ignore = 'If you did not ask for this, ignore this message: your password stays as it is.'
  return {
    to,
    subject: 'Reset your password',
    text: 'Someone asked to reset the password of the account with this email address.\n\n' +
      `Open this link to choose a new password. ${validity}\n\n${link}\n\n${ignore}\n`,
    html: '<p>Someone asked to reset the password of the account with this email address.</p>' +
      `<p><a href="${escapeHtml(link)}">Choose a new password</a>. ${validity}</p>` +
      `<p>If the link does not open, copy this address into your browser:<br>${escapeHtml(link)}</p>` +
      `<p>${ignore}</p>`
  }
}

export interface ProfileChanges {
  email?: string
  username?: string
  currentPassword?: string
}

export function createAccountService ({ db, users, sessions, revocations, hasher, policy, mailer, background, audit, settings }: AccountServiceDeps) {
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
    const now = new Date()
    await db.transaction().execute((trx) => resetTokens.replaceResetToken(trx, {
      hash: hashOpaqueToken(token),
      userId: user.id,
      createdAt: now,
      expiresAt: new Date(now.getTime() + settings.resetTokenTtlSeconds * 1000)
    }))
    await mailer.send(passwordResetMail(user.email, resetLink(settings.appUrl, token), settings.resetTokenTtlSeconds))
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

    /** Sets a new password with a reset token; ends every session and voids every earlier access token. */
    async resetPassword (token: string, newPassword: string, origin: SessionOrigin): Promise<void> {
      const tokenHash = hashOpaqueToken(token)
      const found = await resetTokens.findResetTokenUser(db, tokenHash, new Date())
      if (found === undefined) throw errors.invalidResetToken()
      // A refused password leaves the token usable, so the user can try again from the same mail.
      const problem = passwordProblem(newPassword, policy, found)
      if (problem !== null) throw errors.weakPassword(problem, '/new_password')
      const passwordHash = await hasher.hash(newPassword)

      await changeCredentials(found.id, { voidAccessTokens: true }, () => db.transaction().execute(async (trx) => {
        if (!await resetTokens.consumeResetToken(trx, tokenHash, new Date())) throw errors.invalidResetToken()
        await users.setPasswordHash(found.id, passwordHash, trx)
        await voidResetTokens(found.id, trx)
      }))
      audit.record({ type: 'password_reset_completed', userId: found.id }, origin)
    },

    /** Needs the current password; ends every other session and keeps the caller's. */
    async changePassword (userId: string, sessionId: string, currentPassword: string, newPassword: string, origin: SessionOrigin): Promise<void> {
      const account = await credentialsOf(userId)
      if (!await hasher.verify(account.password_hash, currentPassword)) throw errors.invalidCurrentPassword()
      const problem = passwordProblem(newPassword, policy, account)
      if (problem !== null) throw errors.weakPassword(problem, '/new_password')
      const passwordHash = await hasher.hash(newPassword)
      await changeCredentials(userId, { keep: sessionId }, () => db.transaction().execute(async (trx) => {
        await users.setPasswordHash(userId, passwordHash, trx)
        await voidResetTokens(userId, trx)
      }))
      audit.record({ type: 'password_changed', userId }, origin)
    },

    /**
     * Changes the email and/or username. A new email needs the current password (whoever holds
     * the email can reset the password); a new username does not. A password given is always checked.
     */
    async updateProfile (userId: string, changes: ProfileChanges, origin: SessionOrigin): Promise<PublicUser> {
      const account = await credentialsOf(userId)
      const email = changes.email?.toLowerCase()
      const fields: { email?: string, username?: string } = {
        ...(email === undefined || email === account.email ? {} : { email }),
        ...(changes.username === undefined || changes.username === account.username ? {} : { username: changes.username })
      }
      const changed = (['email', 'username'] as const).filter((field) => fields[field] !== undefined)
      if (fields.email !== undefined && changes.currentPassword === undefined) {
        throw errors.validation('Changing the email needs `current_password`.', [{ path: '/current_password', message: 'is required to change the email' }])
      }
      if (changes.currentPassword !== undefined && !await hasher.verify(account.password_hash, changes.currentPassword)) {
        throw errors.invalidCurrentPassword()
      }
      const user = changed.length === 0 ? await users.findPublic(userId) : await users.updateProfile(userId, fields)
      if (user === undefined) throw errors.tokenRevoked()
      if (fields.email !== undefined) await voidResetTokens(userId, db)
      if (changed.length > 0) {
        await users.changed(userId)
        audit.record({ type: 'profile_updated', userId, details: { fields: changed } }, origin)
      }
      return user
    },

    /** Soft delete after a password confirmation; every session and access token ends at once. */
    async deleteAccount (userId: string, password: string, origin: SessionOrigin): Promise<void> {
      const account = await credentialsOf(userId)
      if (!await hasher.verify(account.password_hash, password)) throw errors.invalidCurrentPassword('/password')
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
