/** Reading and writing accounts; every change bumps the user's version so cached copies go stale. */
import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import { LRUCache } from 'lru-cache'
import type { Database, Executor, UserRow } from '../db/types.js'
import * as usersRepository from '../db/users-repository.js'
import type { PublicUser, UserCredentials } from '../db/users-repository.js'
import type { RevocationStore } from '../stores/revocation-store.js'

export type { PublicUser } from '../db/users-repository.js'

export const DEFAULT_ROLE = 'user'

export interface UserServiceOptions {
  db: Kysely<Database>
  revocations: RevocationStore
  cacheSize: number
  /** How long a version mark lives in the store; a missing mark only costs one reload. */
  versionTtlSeconds: number
  /** The longest an entry is served before it is read again, even if no version bump ever arrived. */
  cacheTtlSeconds: number
}

// A bump that fails would leave other instances serving the old copy: tried again before the write is failed.
const BUMP_ATTEMPTS = 3

export function createUserService ({ db, revocations, cacheSize, versionTtlSeconds, cacheTtlSeconds }: UserServiceOptions) {
  const cache = cacheSize > 0
    ? new LRUCache<string, { version: string, user: PublicUser }>({ max: cacheSize, ttl: cacheTtlSeconds * 1000 })
    : undefined

  async function findPublic (id: string, executor: Executor = db): Promise<PublicUser | undefined> {
    return await usersRepository.findPublicUser(executor, id)
  }

  return {
    findPublic,

    /** Live account by email or username, case-insensitively, with what login needs. */
    async findForLogin (login: string): Promise<(UserRow & { roles: string[] }) | undefined> {
      return await usersRepository.findUserForLogin(db, login)
    },

    /** A new account with the default role; 409 when a live account has the email or username. */
    async create (input: { email: string, username: string, passwordHash: string }): Promise<PublicUser> {
      return await usersRepository.insertUser(db, input, DEFAULT_ROLE)
    },

    /** The live, active account with this email, as a password reset needs it. */
    async findActiveByEmail (email: string): Promise<{ id: string, email: string, username: string } | undefined> {
      return await usersRepository.findActiveUserByEmail(db, email)
    },

    /** What checking a live account's password needs. */
    async findCredentials (userId: string): Promise<UserCredentials | undefined> {
      return await usersRepository.findUserCredentials(db, userId)
    },

    /** Changes the email and/or username of a live account; 409 when another live account has them. */
    async updateProfile (userId: string, changes: { email?: string, username?: string }): Promise<PublicUser | undefined> {
      return await usersRepository.updateUserProfile(db, userId, changes)
    },

    /** Soft delete: the row stays for the audit trail, its email and username are free again. */
    async markDeleted (userId: string, executor: Executor = db): Promise<boolean> {
      return await usersRepository.markUserDeleted(executor, userId)
    },

    async setPasswordHash (userId: string, passwordHash: string, executor: Executor = db): Promise<void> {
      await usersRepository.setPasswordHash(executor, userId, passwordHash, { touch: true })
    },

    /**
     * Re-hashes the same password under the current parameters, unless the password changed since
     * `fromHash` was read. The account does not change in any way its owner can see, so
     * `updated_at` (and every cached copy) stays as it is.
     */
    async upgradePasswordHash (userId: string, fromHash: string, toHash: string): Promise<boolean> {
      return await usersRepository.upgradePasswordHash(db, userId, fromHash, toHash)
    },

    /**
     * The user as `GET /users/me` shows it, from the in-process cache when the version the
     * store holds matches; call after the store check so a change is never served stale.
     */
    async getCurrent (userId: string, knownVersion: string | null): Promise<PublicUser | undefined> {
      const version = knownVersion ?? await revocations.claimUserVersion(userId, randomUUID(), versionTtlSeconds)
      const cached = cache?.get(userId)
      if (cached !== undefined && cached.version === version) return cached.user
      const user = await findPublic(userId)
      if (user !== undefined) cache?.set(userId, { version, user })
      return user
    },

    /** Call after the change has committed, so a reader that sees the new version also sees the new row. */
    async changed (userId: string): Promise<void> {
      cache?.delete(userId)
      for (let attempt = 1; ; attempt++) {
        try {
          await revocations.bumpUserVersion(userId, randomUUID(), versionTtlSeconds)
          return
        } catch (err) {
          if (attempt >= BUMP_ATTEMPTS) throw err
          await new Promise((resolve) => setTimeout(resolve, 50 * attempt))
        }
      }
    }
  }
}

export type UserService = ReturnType<typeof createUserService>
