/** Resolves the access-token signing key: an HS256 secret, or an asymmetric key pair with its public JWK. */
import { createHash, createPrivateKey, createPublicKey, randomBytes, type JsonWebKey } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { requiresConfiguredSecrets, type Config } from '../config.js'

export const MIN_SECRET_BYTES = 32

export interface SigningKeys {
  algorithm: Config['JWT_ALGORITHM']
  privateKey: string
  publicKey: string
  kid: string | undefined
  /** Public keys for `/.well-known/jwks.json`; empty for a shared secret. */
  jwks: JsonWebKey[]
}

export interface KeyNotices {
  warn: (message: string) => void
}

async function pemOrFile (value: string): Promise<string> {
  return value.includes('-----BEGIN') ? value.replaceAll('\\n', '\n') : await readFile(value, 'utf8')
}

/** RFC 7638 thumbprint: a stable `kid` derived from the key itself. */
function thumbprint (jwk: JsonWebKey): string {
  const members = jwk.kty === 'RSA'
    ? { e: jwk.e, kty: jwk.kty, n: jwk.n }
    : jwk.kty === 'EC'
      ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }
      : { crv: jwk.crv, kty: jwk.kty, x: jwk.x }
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url')
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

export async function resolveSigningKeys (config: Config, notices: KeyNotices): Promise<SigningKeys> {
  if (config.JWT_ALGORITHM !== 'HS256') {
    if (config.JWT_PRIVATE_KEY === undefined) throw new Error(`JWT_ALGORITHM=${config.JWT_ALGORITHM} needs JWT_PRIVATE_KEY (PEM or a path to it)`)
    const privateKey = await pemOrFile(config.JWT_PRIVATE_KEY)
    const publicKey = config.JWT_PUBLIC_KEY === undefined
      ? createPublicKey(createPrivateKey(privateKey)).export({ type: 'spki', format: 'pem' }).toString()
      : await pemOrFile(config.JWT_PUBLIC_KEY)
    const jwk = createPublicKey(publicKey).export({ format: 'jwk' })
    const kid = thumbprint(jwk)
    return { algorithm: config.JWT_ALGORITHM, privateKey, publicKey, kid, jwks: [{ ...jwk, kid, alg: config.JWT_ALGORITHM, use: 'sig' }] }
  }
  let secret = config.JWT_SECRET
  if (secret === undefined) {
    if (requiresConfiguredSecrets(config)) throw new Error('JWT_SECRET (at least 32 bytes) or a key pair is required in production')
    secret = await developmentSecret(config.DATA_DIR, notices)
  }
  if (Buffer.byteLength(secret, 'utf8') < MIN_SECRET_BYTES) throw new Error(`JWT_SECRET must be at least ${MIN_SECRET_BYTES} bytes`)
  return { algorithm: 'HS256', privateKey: secret, publicKey: secret, kid: undefined, jwks: [] }
}
