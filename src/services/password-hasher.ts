/** argon2id hashing off the event loop, with bounded concurrency so a burst of logins cannot starve other routes. */
import { randomBytes } from 'node:crypto'
import { Algorithm, hash, parseOptions, verify } from '@node-rs/argon2'
import pLimit from 'p-limit'
import { errors } from '../errors.js'

export interface HashParameters {
  memoryCost: number
  timeCost: number
  parallelism: number
}

export interface PasswordHasher {
  hash: (password: string) => Promise<string>
  /** A null hash (an account without a password) spends the same time and is never a match. */
  verify: (passwordHash: string | null, password: string) => Promise<boolean>
  /** Spends the same time as a real verification, for logins of unknown accounts. */
  verifyDummy: (password: string) => Promise<void>
  needsRehash: (passwordHash: string | null) => boolean
}

/** NIST SP 800-63B: compare passwords after Unicode NFKC normalization. */
export function normalizePassword (password: string): string {
  return password.normalize('NFKC')
}

/**
 * `queueMax` bounds the hashes waiting for a turn: past it a request that needs one answers 503
 * at once, so a flood of password checks (each costs ~19 MiB and tens of milliseconds) cannot
 * queue every login behind it without bound.
 */
export function createPasswordHasher (parameters: HashParameters, concurrency: number, queueMax = Number.POSITIVE_INFINITY): PasswordHasher {
  const pool = pLimit(concurrency)
  const limit = <T>(work: () => Promise<T>): Promise<T> => {
    if (pool.pendingCount >= queueMax) return Promise.reject(errors.unavailable('password hashing'))
    return pool(work)
  }
  const options = { ...parameters, algorithm: Algorithm.Argon2id }
  // Made up front: built lazily, the first unknown-account login would take twice as long as the rest.
  const dummyHash = hash(randomBytes(32).toString('base64url'), options)

  const verifyHash = (passwordHash: string, password: string): Promise<boolean> =>
    limit(async () => {
      try {
        return await verify(passwordHash, normalizePassword(password))
      } catch {
        return false
      }
    })

  return {
    hash: (password) => limit(() => hash(normalizePassword(password), options)),
    async verify (passwordHash, password) {
      if (passwordHash !== null) return await verifyHash(passwordHash, password)
      await verifyHash(await dummyHash, password)
      return false
    },
    async verifyDummy (password) {
      await verifyHash(await dummyHash, password)
    },
    needsRehash (passwordHash) {
      if (passwordHash === null) return false
      try {
        const current = parseOptions(passwordHash)
        return current.algorithm !== Algorithm.Argon2id ||
          current.memoryCost !== parameters.memoryCost ||
          current.timeCost !== parameters.timeCost ||
          current.parallelism !== parameters.parallelism
      } catch {
        return true
      }
    }
  }
}
