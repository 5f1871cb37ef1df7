/**
 * Signing keys the service manages in `signing_keys`: one current key signs, one next key is
 * published ahead of its use, retired keys stay published until the tokens they signed expired.
 * Private keys are sealed with the secret box; every decision that writes runs under the table lock.
 */
import { createPublicKey } from 'node:crypto'
import { exportJWK, exportPKCS8, generateKeyPair } from 'jose'
import type { Kysely } from 'kysely'
import type { Config } from '../config.js'
import { createSigningKeyRepository, withSigningKeysLocked, type SigningKeyRepository } from '../db/signing-keys-repository.js'
import type { Database, SigningKeyRow } from '../db/types.js'
import { SecretBoxError, type SecretBox } from './secret-box.js'
import { publicJwkOf, type AsymmetricAlgorithm, type KeySet, type PublicJwk, type VerificationKey } from './signing-keys.js'

export interface ManagedKeySettings {
  algorithm: AsymmetricAlgorithm
  /** JWKS_MAX_AGE + JWT_KEYS_REFRESH: how long a next key must have been published before it may sign. */
  publishBeforeUseSeconds: number
  /** How long a retired key stays published: past the last token it can have signed. */
  retiredLifetimeSeconds: number
  /** JWT_KEY_ROTATION_DAYS; 0 = only `npm run rotate-keys` rotates. */
  rotationDays: number
  now: () => Date
}

/** The next key has not been published long enough for every verifier to have cached it. */
export class RotationRefusedError extends Error {
  readonly waitSeconds: number

  constructor (waitSeconds: number) {
    super(`the next key has been published for too short a time: verifiers may not have it yet; wait ${waitSeconds} s or use --force`)
    this.name = 'RotationRefusedError'
    this.waitSeconds = waitSeconds
  }
}

export interface Rotation {
  retired: string
  current: string
  next: string
}

const DAY_MS = 86_400_000

export function managedKeySettings (config: Config, now: () => Date = () => new Date()): ManagedKeySettings {
  return {
    algorithm: config.JWT_ALGORITHM === undefined || config.JWT_ALGORITHM === 'HS256' ? 'EdDSA' : config.JWT_ALGORITHM,
    publishBeforeUseSeconds: config.JWKS_MAX_AGE + config.JWT_KEYS_REFRESH,
    // An instance that has not re-read the keys yet may sign with a just-retired key for one more refresh interval.
    retiredLifetimeSeconds: config.ACCESS_TOKEN_TTL + config.JWT_KEYS_REFRESH,
    rotationDays: config.JWT_KEY_ROTATION_DAYS,
    now
  }
}

export function createManagedKeys (db: Kysely<Database>, box: SecretBox, settings: ManagedKeySettings) {
  const { now } = settings

  async function createKey (keys: SigningKeyRepository, state: 'next' | 'current', at: Date): Promise<string> {
    const { publicKey, privateKey } = await generateKeyPair(settings.algorithm, { extractable: true })
    const publicJwk = await publicJwkOf(createPublicKey({ key: await exportJWK(publicKey), format: 'jwk' }), settings.algorithm)
    await keys.insert({
      kid: publicJwk.kid,
      alg: settings.algorithm,
      public_jwk: JSON.stringify(publicJwk),
      private_key: box.seal(await exportPKCS8(privateKey), publicJwk.kid),
      state,
      created_at: at,
      activated_at: state === 'current' ? at : null,
      retired_at: null
    })
    return publicJwk.kid
  }

  const live = (rows: SigningKeyRow[], state: 'next' | 'current') => rows.find((r) => r.state === state)

  function waitBeforeRotation (next: SigningKeyRow, at: Date): number {
    const publishedMs = at.getTime() - next.created_at.getTime()
    return Math.max(0, Math.ceil(settings.publishBeforeUseSeconds - publishedMs / 1000))
  }

  async function rotateLocked (keys: SigningKeyRepository, force: boolean): Promise<Rotation> {
    const at = now()
    const rows = await keys.list()
    const current = live(rows, 'current')
    const next = live(rows, 'next')
    if (current === undefined || next === undefined) throw new Error('no current and next signing keys to rotate: start the service once first')
    const wait = waitBeforeRotation(next, at)
    if (wait > 0 && !force) throw new RotationRefusedError(wait)
    await keys.retire(current.kid, at)
    await keys.activate(next.kid, at)
    return { retired: current.kid, current: next.kid, next: await createKey(keys, 'next', at) }
  }

  function rotationDue (rows: SigningKeyRow[], at: Date): boolean {
    if (settings.rotationDays === 0) return false
    const current = live(rows, 'current')
    const next = live(rows, 'next')
    if (current === undefined || next === undefined) return false
    const activated = current.activated_at ?? current.created_at
    return at.getTime() - activated.getTime() >= settings.rotationDays * DAY_MS && waitBeforeRotation(next, at) === 0
  }

  const retiredCutoff = (at: Date) => new Date(at.getTime() - settings.retiredLifetimeSeconds * 1000)
  const expired = (row: SigningKeyRow, at: Date) => row.state === 'retired' && row.retired_at !== null && row.retired_at < retiredCutoff(at)

  function openPrivateKey (row: SigningKeyRow): string {
    try {
      return box.open(row.private_key, row.kid).toString('utf8')
    } catch (err) {
      if (!(err instanceof SecretBoxError)) throw err
      throw new Error(`the private signing key ${row.kid} cannot be opened (${err.message}): JWT_KEY_ENCRYPTION_KEY must be the key it was sealed with`)
    }
  }

  function verificationKey (row: SigningKeyRow): VerificationKey {
    const publicJwk = row.public_jwk as unknown as PublicJwk
    const verifyKey = createPublicKey({ key: { ...publicJwk }, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString()
    return { kid: row.kid, alg: row.alg, verifyKey, publicJwk }
  }

  return {
    /** The first start: creates the current and the next key unless another instance just did. */
    async ensure (): Promise<void> {
      const rows = await createSigningKeyRepository(db).list()
      if (live(rows, 'current') !== undefined && live(rows, 'next') !== undefined) return
      await withSigningKeysLocked(db, async (keys) => {
        const locked = await keys.list()
        const at = now()
        if (live(locked, 'current') === undefined) await createKey(keys, 'current', at)
        if (live(locked, 'next') === undefined) await createKey(keys, 'next', at)
      })
    },

    /** The published keys and the one that signs; a key sealed under another encryption key is an error that names it. */
    async load (): Promise<KeySet> {
      const at = now()
      const rows = (await createSigningKeyRepository(db).list()).filter((r) => !expired(r, at))
      const current = live(rows, 'current')
      if (current === undefined) throw new Error('no current signing key in signing_keys')
      const next = live(rows, 'next')
      // The next key is opened too, so that a wrong encryption key shows at start-up, not at the rotation.
      if (next !== undefined) openPrivateKey(next)
      return {
        signing: { ...verificationKey(current), signKey: openPrivateKey(current) },
        verification: rows.map(verificationKey),
        withoutKid: undefined
      }
    },

    /** `npm run rotate-keys`: next → current, current → retired, and a new next. */
    async rotate ({ force = false }: { force?: boolean } = {}): Promise<Rotation> {
      return await withSigningKeysLocked(db, (keys) => rotateLocked(keys, force))
    },

    /** The periodic task: deletes expired retired keys and rotates when JWT_KEY_ROTATION_DAYS says so. */
    async maintain (): Promise<{ rotation: Rotation | undefined, deleted: string[] }> {
      const at = now()
      const rows = await createSigningKeyRepository(db).list()
      if (!rotationDue(rows, at) && !rows.some((r) => expired(r, at))) return { rotation: undefined, deleted: [] }
      return await withSigningKeysLocked(db, async (keys) => {
        const deleted = await keys.deleteRetiredBefore(retiredCutoff(at))
        // Decided again under the lock: another instance may have rotated a moment ago.
        const rotation = rotationDue(await keys.list(), at) ? await rotateLocked(keys, false) : undefined
        return { rotation, deleted }
      })
    }
  }
}

export type ManagedKeys = ReturnType<typeof createManagedKeys>
