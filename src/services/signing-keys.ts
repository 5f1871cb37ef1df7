/**
 * The access-token keys of the static configurations: an HS256 secret (with the previous one during
 * a change), or one asymmetric key pair from JWT_PRIVATE_KEY. Managed keys live in `managed-keys.ts`.
 */
import { createPrivateKey, createPublicKey, randomBytes, type KeyObject } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { calculateJwkThumbprint, type JWK } from 'jose'
import { requiresConfiguredSecrets, type Config } from '../config.js'

export const MIN_SECRET_BYTES = 32

export type SigningAlgorithm = 'HS256' | 'EdDSA' | 'ES256' | 'RS256'
export type AsymmetricAlgorithm = Exclude<SigningAlgorithm, 'HS256'>

/** A public key as `/.well-known/jwks.json` publishes it. */
export interface PublicJwk {
  kty: string
  kid: string
  alg: AsymmetricAlgorithm
  use: 'sig'
  crv?: string
  x?: string
  y?: string
  n?: string
  e?: string
}

/** One key a token may name by its `kid`, pinned to one algorithm. */
export interface VerificationKey {
  kid: string
  alg: SigningAlgorithm
  /** What the verifier checks signatures with: the shared secret, or the public key (PEM). */
  verifyKey: string
  /** Undefined for a shared secret, which is never published. */
  publicJwk: PublicJwk | undefined
}

export interface SigningKey extends VerificationKey {
  /** The shared secret, or the private key (PKCS #8 PEM). */
  signKey: string
}

export interface KeySet {
  signing: SigningKey
  /** Every key a token may name, the signing key included. */
  verification: VerificationKey[]
  /** Verifies tokens issued before tokens carried a `kid` (the shared secret only). */
  withoutKid: VerificationKey | undefined
}

export interface KeyNotices {
  warn: (message: string) => void
}

async function pemOrFile (value: string): Promise<string> {
  return value.includes('-----BEGIN') ? value.replaceAll('\\n', '\n') : await readFile(value, 'utf8')
}

function algorithmOf (key: KeyObject): AsymmetricAlgorithm {
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA'
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256'
  if (key.asymmetricKeyType === 'rsa') return 'RS256'
  throw new Error(`JWT_PRIVATE_KEY is a ${key.asymmetricKeyType ?? 'unknown'} key: use Ed25519, EC P-256 or RSA`)
}

/** The published form of a public key; its `kid` is its RFC 7638 thumbprint. */
export async function publicJwkOf (publicKey: KeyObject, alg: AsymmetricAlgorithm): Promise<PublicJwk> {
  // Only the public members, named one by one: a private `d` can never slip into the JWKS.
  const { kty = '', crv, x, y, n, e } = publicKey.export({ format: 'jwk' })
  const jwk: JWK = { kty, ...(crv === undefined ? {} : { crv }), ...(x === undefined ? {} : { x }), ...(y === undefined ? {} : { y }), ...(n === undefined ? {} : { n }), ...(e === undefined ? {} : { e }) }
  return { ...jwk, kty, kid: await calculateJwkThumbprint(jwk), alg, use: 'sig' }
}

async function fromPrivateKey (config: Config, privateKeyText: string): Promise<KeySet> {
  const privateKey = await pemOrFile(privateKeyText)
  const privateKeyObject = createPrivateKey(privateKey)
  const alg = algorithmOf(privateKeyObject)
  if (config.JWT_ALGORITHM !== undefined && config.JWT_ALGORITHM !== alg) {
    throw new Error(`JWT_ALGORITHM=${config.JWT_ALGORITHM} does not fit JWT_PRIVATE_KEY, an ${alg} key`)
  }
  const publicKey = config.JWT_PUBLIC_KEY === undefined ? createPublicKey(privateKeyObject) : createPublicKey(await pemOrFile(config.JWT_PUBLIC_KEY))
  const publicJwk = await publicJwkOf(publicKey, alg)
  const key = { kid: publicJwk.kid, alg, verifyKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(), publicJwk }
  return { signing: { ...key, signKey: privateKey }, verification: [key], withoutKid: undefined }
}

async function developmentSecret (dataDir: string, notices: KeyNotices): Promise<string> {
  const file = join(dataDir, 'jwt-secret')
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim()
  await mkdir(dataDir, { recursive: true })
  const secret = randomBytes(48).toString('base64url')
  await writeFile(file, secret, { mode: 0o600 })
  notices.warn(`JWT_SECRET is not set: generated one in ${file}; set JWT_SECRET (or a key pair) in production`)
  return secret
}

async function secretKey (name: string, secret: string): Promise<VerificationKey> {
  if (Buffer.byteLength(secret, 'utf8') < MIN_SECRET_BYTES) throw new Error(`${name} must be at least ${MIN_SECRET_BYTES} bytes`)
  // The thumbprint of a 256-bit secret names it without revealing anything of it.
  const kid = await calculateJwkThumbprint({ kty: 'oct', k: Buffer.from(secret, 'utf8').toString('base64url') })
  return { kid, alg: 'HS256', verifyKey: secret, publicJwk: undefined }
}

async function fromSecret (config: Config, notices: KeyNotices): Promise<KeySet> {
  let secret = config.JWT_SECRET
  if (secret === undefined) {
    if (requiresConfiguredSecrets(config)) throw new Error('JWT_SECRET (at least 32 bytes) or a key pair is required in production')
    secret = await developmentSecret(config.DATA_DIR, notices)
  }
  const current = await secretKey('JWT_SECRET', secret)
  const previous = config.JWT_SECRET_PREVIOUS === undefined ? [] : [await secretKey('JWT_SECRET_PREVIOUS', config.JWT_SECRET_PREVIOUS)]
  return { signing: { ...current, signKey: secret }, verification: [current, ...previous], withoutKid: current }
}

/** Which keys sign: a private key when given, the shared secret when asked for, else keys the service manages. */
export function keyMode (config: Config): 'private-key' | 'secret' | 'managed' {
  if (config.JWT_PRIVATE_KEY !== undefined) return 'private-key'
  if (config.JWT_ALGORITHM === 'HS256' || (config.JWT_ALGORITHM === undefined && config.JWT_SECRET !== undefined)) return 'secret'
  return 'managed'
}

/** The keys of a static configuration; undefined when the service manages its keys. */
export async function resolveStaticKeys (config: Config, notices: KeyNotices): Promise<KeySet | undefined> {
  const mode = keyMode(config)
  if (mode === 'private-key' && config.JWT_PRIVATE_KEY !== undefined) return await fromPrivateKey(config, config.JWT_PRIVATE_KEY)
  if (mode === 'secret') return await fromSecret(config, notices)
  return undefined
}
