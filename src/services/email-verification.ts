/**
 * Proving an address: verification mails (link and code), their use, and the email change that
 * waits in `pending_email` until the new address is proven.
 */
import type { Kysely } from 'kysely'
import * as repo from '../db/email-verifications-repository.js'
import type { Database } from '../db/types.js'
import { errors } from '../errors.js'
import type { AuditLog } from './audit.js'
import type { BackgroundTasks } from './background.js'
import type { Notifier } from './notifier.js'
import { codeMatches, generateCode, hashCode, MAX_CODE_ATTEMPTS } from './one-time-codes.js'
import type { SessionOrigin } from './sessions.js'
import { generateOpaqueToken, hashOpaqueToken } from './tokens.js'
import type { UserService } from './users.js'

export type VerificationProof = { token: string } | { email: string, code: string }

export interface EmailVerificationDeps {
  db: Kysely<Database>
  users: UserService
  notifier: Notifier
  background: BackgroundTasks
  audit: AuditLog
  /** Unused reset links must not outlive the address they were mailed to. */
  voidResetTokens: (userId: string) => Promise<void>
  ttlSeconds: number
  now: () => Date
}

export interface Recipient {
  id: string
  username: string
}

export function createEmailVerification ({ db, users, notifier, background, audit, voidResetTokens, ttlSeconds, now }: EmailVerificationDeps) {
  async function mail (account: Recipient, address: string): Promise<void> {
    const token = generateOpaqueToken()
    const tokenHash = hashOpaqueToken(token)
    const code = generateCode()
    const createdAt = now()
    await repo.replaceOpenVerification(db, {
      tokenHash,
      userId: account.id,
      email: address,
      codeHash: hashCode(tokenHash, code),
      createdAt,
      expiresAt: new Date(createdAt.getTime() + ttlSeconds * 1000)
    })
    notifier.send('verify-email', { email: address, username: account.username }, { token, code, ttlSeconds })
  }

  /** The mail a proof names, with its account; for a code, the address must be the one it was sent to, and each try counts. */
  async function mailOf (proof: VerificationProof): Promise<{ tokenHash: string, userId: string } | undefined> {
    if ('token' in proof) {
      const tokenHash = hashOpaqueToken(proof.token)
      const userId = await repo.findVerificationOwner(db, tokenHash)
      return userId === undefined ? undefined : { tokenHash, userId }
    }
    const open = await repo.takeCodeAttempt(db, proof.email.trim().toLowerCase(), now(), MAX_CODE_ATTEMPTS)
    // Every open mail to the address is compared, so the time taken does not say which one matched.
    let found: { tokenHash: string, userId: string } | undefined
    for (const row of open) if (codeMatches(row.token_hash, proof.code, row.code_hash)) found = { tokenHash: row.token_hash, userId: row.user_id }
    return found
  }

  return {
    /** Mails a verification link and code to `address` for the account, off the caller's path. */
    mailVerification (account: Recipient, address: string): void {
      background.run('verification mail', () => mail(account, address))
    },

    /**
     * Mails a new verification to an address still waiting for one, and nothing otherwise. Returns
     * at once and the same way whatever the address: the lookup happens off the caller's path.
     */
    resend (email: string, origin: SessionOrigin): void {
      background.run('verification resend', async () => {
        const address = email.trim().toLowerCase()
        const accounts = await repo.findAwaitingVerification(db, address)
        audit.record({ type: 'verification_resend_requested', userId: accounts[0]?.id ?? null }, origin)
        for (const account of accounts) await mail(account, address)
      })
    },

    /**
     * Uses a link token or an address and its code, once: marks the email verified or applies the
     * pending change. Answers the account id for the sign-in that follows.
     */
    async verify (proof: VerificationProof, origin: SessionOrigin): Promise<string> {
      const by = 'token' in proof ? 'link' : 'code'
      const mail = await mailOf(proof)
      if (mail === undefined) {
        audit.record({ type: 'email_verification_failed', userId: null, details: { by } }, origin)
        throw errors.invalidVerificationToken()
      }
      const { tokenHash, userId } = mail
      const at = now()
      const changed = await db.transaction().execute(async (trx) => {
        // The account first, then the mail: the order a new mail takes them in, so the two never deadlock.
        const account = await repo.lockAccount(trx, userId)
        const used = await repo.consumeVerification(trx, tokenHash, at)
        if (account === undefined || !account.is_active || used === undefined) throw errors.invalidVerificationToken()
        if (used.email === account.email.toLowerCase()) {
          await repo.markEmailVerified(trx, userId, at)
          return false
        }
        if (used.email !== account.pending_email) throw errors.invalidVerificationToken()
        await repo.applyPendingEmail(trx, userId, at)
        await repo.voidOpenVerifications(trx, userId)
        return true
      })
      if (changed) await voidResetTokens(userId)
      await users.changed(userId)
      audit.record({ type: 'email_verified', userId, details: { by, email_changed: changed } }, origin)
      return userId
    },

    /**
     * Starts an email change: the new address waits in `pending_email` and gets a verification,
     * the old one a notice. 409 when another live account already has the new address.
     */
    async requestEmailChange (account: Recipient & { email: string }, newEmail: string, origin: SessionOrigin): Promise<void> {
      const address = newEmail.toLowerCase()
      if (await repo.emailHeldByOther(db, address, account.id)) throw errors.emailTaken()
      await repo.setPendingEmail(db, account.id, address, now())
      await users.changed(account.id)
      notifier.send('email-change-requested', { email: account.email, username: account.username }, { newEmail: address, origin })
      background.run('verification mail', () => mail(account, address))
      audit.record({ type: 'email_change_requested', userId: account.id }, origin)
    }
  }
}

export type EmailVerification = ReturnType<typeof createEmailVerification>
