/**
 * Which account a verified provider identity signs in to (API.md, "Which account an identity signs
 * in to"), linking by the owner, and unlinking. An unlinked identity joins an existing account only
 * when both the provider and the account vouch for the email: otherwise whoever registered the
 * address first (perhaps an attacker who never proved it) would receive the victim's sign-ins.
 */
import { randomInt } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database, IdentityRow } from '../../db/types.js'
import * as identities from '../../db/identity-repository.js'
import { EMAIL_UNIQUE, IDENTITY_UNIQUE, USERNAME_UNIQUE, violatedConstraint } from '../../db/identity-repository.js'
import { lockSignInMethods, totalOf } from '../../db/sign-in-methods.js'
import { errors } from '../../errors.js'
import type { AuditLog } from '../audit.js'
import type { SessionOrigin } from '../sessions.js'
import { DEFAULT_ROLE } from '../users.js'
import type { ProviderIdentity } from './claims.js'

export interface LinkedNotice {
  userId: string
  provider: string
  providerEmail: string | null
  origin: SessionOrigin
}

export interface IdentityLinkingDeps {
  db: Kysely<Database>
  audit: AuditLog
  /** Tells the owner (mail `identity-linked`); runs off the caller's path. */
  notifyLinked: (notice: LinkedNotice) => void
}

const USERNAME_MAX = 32
const USERNAME_ATTEMPTS = 8

/** A username from the profile: its allowed characters, accents dropped, at least 3 characters. */
export function usernameBase (hints: string[]): string {
  for (const hint of hints) {
    const base = hint.normalize('NFKD').replace(/\p{M}/gu, '')
      .replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^[_.-]+|[_.-]+$/g, '').slice(0, USERNAME_MAX - 7)
    if (base.length >= 3) return base
  }
  return 'user'
}

function usernameCandidate (base: string, attempt: number): string {
  return attempt === 0 ? base : `${base}_${randomInt(100_000, 1_000_000)}`
}

export function createIdentityLinking ({ db, audit, notifyLinked }: IdentityLinkingDeps) {
  function linked (userId: string, identity: IdentityRow, via: 'new_account' | 'verified_email' | 'signed_in', origin: SessionOrigin): void {
    audit.record({ type: 'identity_linked', userId, details: { provider: identity.provider, identity_id: identity.id, via } }, origin)
    if (via !== 'new_account') notifyLinked({ userId, provider: identity.provider, providerEmail: identity.email, origin })
  }

  /** The identity as linked now; an identity of a deleted account is freed first, so its owner can start over. */
  async function currentLink (identity: ProviderIdentity) {
    const found = await identities.findIdentity(db, identity.provider, identity.subject)
    if (found?.deleted !== true) return found
    await identities.deleteIdentity(db, found.id)
    return undefined
  }

  async function createAccount (identity: ProviderIdentity & { email: string }): Promise<IdentityRow> {
    const base = usernameBase(identity.nameHints)
    for (let attempt = 0; ; attempt += 1) {
      const username = usernameCandidate(base, attempt)
      if (attempt < USERNAME_ATTEMPTS - 1 && await identities.usernameTaken(db, username)) continue
      try {
        return await db.transaction().execute(async (trx) => {
          const userId = await identities.insertPasswordlessUser(trx, { email: identity.email, emailVerifiedAt: identity.emailVerified ? new Date() : null, username }, DEFAULT_ROLE)
          return await identities.insertIdentity(trx, { provider: identity.provider, subject: identity.subject, userId, email: identity.email })
        })
      } catch (err) {
        if (violatedConstraint(err) !== USERNAME_UNIQUE || attempt >= USERNAME_ATTEMPTS) throw err
      }
    }
  }

  async function resolve (identity: ProviderIdentity, origin: SessionOrigin, retried: boolean): Promise<string> {
    const refuse = (userId: string | null, reason: 'account_exists' | 'inactive_account') => {
      audit.record({ type: 'provider_sign_in_refused', userId, details: { provider: identity.provider, reason } }, origin)
      return reason === 'account_exists' ? errors.accountExists() : errors.invalidCredentials()
    }
    const signedIn = (userId: string, identityId: string): string => {
      audit.record({ type: 'provider_sign_in', userId, details: { provider: identity.provider, identity_id: identityId } }, origin)
      return userId
    }

    const current = await currentLink(identity)
    if (current !== undefined) {
      if (!current.is_active) throw refuse(current.user_id, 'inactive_account')
      return signedIn(current.user_id, current.id)
    }
    if (identity.email === null) throw errors.providerError('The provider shared no email address, which a new account needs.')
    const email = identity.email
    try {
      const account = await identities.findAccountByEmail(db, email)
      if (account === undefined) {
        const made = await createAccount({ ...identity, email })
        linked(made.user_id, made, 'new_account', origin)
        return signedIn(made.user_id, made.id)
      }
      if (!account.is_active) throw refuse(account.id, 'inactive_account')
      if (!identity.emailVerified || !account.email_verified) throw refuse(account.id, 'account_exists')
      const made = await identities.insertIdentity(db, { provider: identity.provider, subject: identity.subject, userId: account.id, email })
      linked(account.id, made, 'verified_email', origin)
      return signedIn(account.id, made.id)
    } catch (err) {
      // A sign-in racing this one made the identity or the account first: decide again on what it made.
      const constraint = violatedConstraint(err)
      if (!retried && (constraint === IDENTITY_UNIQUE || constraint === EMAIL_UNIQUE)) return await resolve(identity, origin, true)
      throw err
    }
  }

  return {
    /** The account this identity signs in to, linking or creating it as the policy says; throws when it may not sign in. */
    resolveSignIn: (identity: ProviderIdentity, origin: SessionOrigin): Promise<string> => resolve(identity, origin, false),

    /** Links the identity to the signed-in account; 409 identity_taken when another account has it. */
    async link (userId: string, identity: ProviderIdentity, origin: SessionOrigin): Promise<IdentityRow> {
      const current = await currentLink(identity)
      if (current !== undefined) {
        if (current.user_id !== userId) throw errors.identityTaken()
        const { is_active: _active, deleted: _deleted, ...row } = current
        return row
      }
      try {
        const made = await identities.insertIdentity(db, { provider: identity.provider, subject: identity.subject, userId, email: identity.email })
        linked(userId, made, 'signed_in', origin)
        return made
      } catch (err) {
        if (violatedConstraint(err) === IDENTITY_UNIQUE) throw errors.identityTaken()
        throw err
      }
    },

    list: (userId: string): Promise<IdentityRow[]> => identities.listIdentitiesOf(db, userId),

    /** 404 for an identity that is not the user's; 409 last_credential when nothing else would sign in. */
    async unlink (userId: string, identityId: string, origin: SessionOrigin): Promise<void> {
      const removed = await db.transaction().execute(async (trx) => {
        const before = await lockSignInMethods(trx, userId)
        if (before === undefined) throw errors.tokenRevoked()
        const row = await identities.deleteOwnIdentity(trx, userId, identityId)
        if (row === undefined) throw errors.notFound('No such identity among yours.')
        if (totalOf(before) <= 1) throw errors.lastCredential('This identity is the only way to sign in to the account: set a password (forgot-password) or link another identity first.')
        return row
      })
      audit.record({ type: 'identity_unlinked', userId, details: { provider: removed.provider, identity_id: removed.id } }, origin)
    }
  }
}

export type IdentityLinking = ReturnType<typeof createIdentityLinking>
