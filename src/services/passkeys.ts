/** A signed-in account's passkeys: adding one (a WebAuthn registration), listing, renaming, removing. */
import type { Kysely } from 'kysely'
import type { PublicKeyCredentialCreationOptionsJSON, RegistrationResponseJSON } from '@simplewebauthn/server'
import type { Database } from '../db/types.js'
import * as passkeys from '../db/passkeys-repository.js'
import { lockSignInMethods, totalOf } from '../db/sign-in-methods.js'
import { errors } from '../errors.js'
import type { AuditLog } from './audit.js'
import type { PasskeyChallenges } from './passkey-challenges.js'
import type { SessionOrigin } from './sessions.js'
import type { UserService } from './users.js'
import type { WebAuthn } from './webauthn.js'

export const DEFAULT_PASSKEY_NAME = 'Passkey'

export interface PasskeyServiceDeps {
  db: Kysely<Database>
  webauthn: WebAuthn
  challenges: PasskeyChallenges
  users: UserService
  audit: AuditLog
}

export function createPasskeyService ({ db, webauthn, challenges, users, audit }: PasskeyServiceDeps) {
  return {
    /** Creation options for the account, its own passkeys excluded so an authenticator is not registered twice. */
    async registrationOptions (userId: string): Promise<PublicKeyCredentialCreationOptionsJSON> {
      const user = await users.findCredentials(userId)
      if (user === undefined) throw errors.tokenRevoked()
      const options = await webauthn.creationOptions(user, await passkeys.passkeyDescriptors(db, userId))
      await challenges.keepForAccount('registration', userId, options.challenge)
      return options
    },

    async register (userId: string, response: RegistrationResponseJSON, name: string | undefined, origin: SessionOrigin): Promise<passkeys.PasskeyListing> {
      const credential = await webauthn.verifyRegistration(response,
        (challenge) => challenges.redeemForAccount('registration', userId, challenge))
      const added = await passkeys.insertPasskey(db, { ...credential, userId, name: name ?? DEFAULT_PASSKEY_NAME })
      // The same authenticator credential cannot sign in to two accounts (WebAuthn §7.1 step 26).
      if (added === undefined) throw errors.invalidPasskey('This passkey is registered already.')
      audit.record({ type: 'passkey_added', userId, details: { passkey_id: added.id } }, origin)
      return added
    },

    list: (userId: string) => passkeys.listPasskeys(db, userId),

    async rename (userId: string, passkeyId: string, name: string): Promise<passkeys.PasskeyListing> {
      const renamed = await passkeys.renamePasskey(db, userId, passkeyId, name)
      if (renamed === undefined) throw errors.notFound('No such passkey.')
      return renamed
    },

    /**
     * Removes a passkey unless it is the last way into the account. The account row is locked
     * first, so two removals racing for an account's last two ways in cannot both succeed.
     */
    async remove (userId: string, passkeyId: string, origin: SessionOrigin): Promise<void> {
      await db.transaction().execute(async (trx) => {
        const methods = await lockSignInMethods(trx, userId)
        if (methods === undefined) throw errors.tokenRevoked()
        if (!await passkeys.removePasskey(trx, userId, passkeyId)) throw errors.notFound('No such passkey.')
        // Counted before the removal, under the lock: this passkey was one of them.
        if (totalOf(methods) <= 1) throw errors.lastCredential('This passkey is the only way to sign in to the account: set a password or add another passkey first.')
      })
      audit.record({ type: 'passkey_removed', userId, details: { passkey_id: passkeyId } }, origin)
    }
  }
}

export type PasskeyService = ReturnType<typeof createPasskeyService>
