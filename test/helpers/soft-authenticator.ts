/**
 * A software WebAuthn authenticator for tests, on node:crypto: P-256 (ES256), Ed25519 (EdDSA) or
 * RSA (RS256) keys, attestation `none`, a signature counter, and flags for user verification and
 * backup. It answers options as a browser's `credential.toJSON()` would, and can be told to lie
 * (another origin, another RP ID, a counter going back) so every server-side rule can be probed.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto'

export type Algorithm = 'ES256' | 'EdDSA' | 'RS256'

// A minimal CBOR encoder (RFC 8949): the types a COSE key and an attestation object need.
type Cbor = number | string | Uint8Array | Cbor[] | Map<number | string, Cbor>

function head (major: number, length: number): Buffer {
  if (length < 24) return Buffer.from([(major << 5) | length])
  if (length < 0x100) return Buffer.from([(major << 5) | 24, length])
  if (length < 0x10000) return Buffer.from([(major << 5) | 25, length >> 8, length & 0xff])
  const b = Buffer.alloc(5)
  b[0] = (major << 5) | 26
  b.writeUInt32BE(length, 1)
  return b
}

export function cbor (value: Cbor): Buffer {
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value)
  if (typeof value === 'string') {
    const text = Buffer.from(value, 'utf8')
    return Buffer.concat([head(3, text.length), text])
  }
  if (value instanceof Uint8Array) return Buffer.concat([head(2, value.length), value])
  if (Array.isArray(value)) return Buffer.concat([head(4, value.length), ...value.map(cbor)])
  return Buffer.concat([head(5, value.size), ...[...value].flatMap(([k, v]) => [cbor(k), cbor(v)])])
}

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url')
const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest()

function keyPair (alg: Algorithm): { privateKey: KeyObject, cose: Buffer } {
  if (alg === 'ES256') {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const jwk = publicKey.export({ format: 'jwk' })
    return {
      privateKey,
      cose: cbor(new Map<number, Cbor>([[1, 2], [3, -7], [-1, 1], [-2, Buffer.from(jwk.x ?? '', 'base64url')], [-3, Buffer.from(jwk.y ?? '', 'base64url')]]))
    }
  }
  if (alg === 'EdDSA') {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519')
    const jwk = publicKey.export({ format: 'jwk' })
    return { privateKey, cose: cbor(new Map<number, Cbor>([[1, 1], [3, -8], [-1, 6], [-2, Buffer.from(jwk.x ?? '', 'base64url')]])) }
  }
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const jwk = publicKey.export({ format: 'jwk' })
  return {
    privateKey,
    cose: cbor(new Map<number, Cbor>([[1, 3], [3, -257], [-1, Buffer.from(jwk.n ?? '', 'base64url')], [-2, Buffer.from(jwk.e ?? '', 'base64url')]]))
  }
}

export interface SoftCredential {
  id: string
  alg: Algorithm
  privateKey: KeyObject
  cose: Buffer
  userHandle: string
  counter: number
}

export interface Ceremony {
  origin?: string
  rpId?: string
  userVerified?: boolean
  userPresent?: boolean
  /** The counter to report instead of the next one. */
  counter?: number
  /** Sign with this credential instead of the first one (a discoverable credential: the user's pick). */
  credential?: SoftCredential
  /** `create` only: register this credential again (same id and key) instead of making one. */
  reuse?: SoftCredential
  type?: string
}

interface CreationOptionsLike { challenge: string, rp: { id?: string }, user: { id: string }, pubKeyCredParams: Array<{ alg: number }> }
interface RequestOptionsLike { challenge: string, rpId?: string }

const COSE_IDS: Record<Algorithm, number> = { ES256: -7, EdDSA: -8, RS256: -257 }

export interface SoftAuthenticatorOptions {
  origin: string
  rpId: string
  alg?: Algorithm
  /** Report a signature counter (false: always 0, as synced passkeys do). */
  counts?: boolean
  backedUp?: boolean
}

export function createSoftAuthenticator ({ origin, rpId, alg = 'ES256', counts = true, backedUp = false }: SoftAuthenticatorOptions) {
  const credentials: SoftCredential[] = []
  const aaguid = Buffer.alloc(16)

  function flags (c: Ceremony, attested: boolean): number {
    return ((c.userPresent ?? true) ? 0x01 : 0) | ((c.userVerified ?? true) ? 0x04 : 0) |
      (backedUp ? 0x18 : 0) | (attested ? 0x40 : 0)
  }

  function counterBytes (value: number): Buffer {
    const b = Buffer.alloc(4)
    b.writeUInt32BE(value)
    return b
  }

  const clientData = (type: string, challenge: string, c: Ceremony) =>
    Buffer.from(JSON.stringify({ type: c.type ?? type, challenge, origin: c.origin ?? origin, crossOrigin: false }))

  return {
    credentials,

    /** `navigator.credentials.create()` then `toJSON()`. */
    create (options: CreationOptionsLike, c: Ceremony = {}) {
      if (!options.pubKeyCredParams.some((p) => p.alg === COSE_IDS[alg])) throw new Error(`the options do not offer ${alg}`)
      const { privateKey, cose } = c.reuse ?? keyPair(alg)
      const id = c.reuse === undefined ? randomBytes(32) : Buffer.from(c.reuse.id, 'base64url')
      const counter = c.counter ?? 0
      const authData = Buffer.concat([
        sha256(c.rpId ?? options.rp.id ?? rpId), Buffer.from([flags(c, true)]), counterBytes(counter),
        aaguid, Buffer.from([id.length >> 8, id.length & 0xff]), id, cose
      ])
      const credential: SoftCredential = { id: b64url(id), alg, privateKey, cose, userHandle: options.user.id, counter }
      credentials.push(credential)
      return {
        credential,
        json: {
          id: credential.id,
          rawId: credential.id,
          type: 'public-key',
          authenticatorAttachment: 'platform',
          clientExtensionResults: {},
          response: {
            clientDataJSON: b64url(clientData('webauthn.create', options.challenge, c)),
            attestationObject: b64url(cbor(new Map<string, Cbor>([['fmt', 'none'], ['attStmt', new Map()], ['authData', authData]]))),
            transports: ['internal']
          }
        }
      }
    },

    /** `navigator.credentials.get()` then `toJSON()`. */
    get (options: RequestOptionsLike, c: Ceremony = {}) {
      const credential = c.credential ?? credentials[0]
      if (credential === undefined) throw new Error('no credential to sign with')
      const counter = c.counter ?? (counts ? credential.counter + 1 : 0)
      credential.counter = Math.max(credential.counter, counter)
      const authData = Buffer.concat([sha256(c.rpId ?? options.rpId ?? rpId), Buffer.from([flags(c, false)]), counterBytes(counter)])
      const clientDataJSON = clientData('webauthn.get', options.challenge, c)
      const signed = Buffer.concat([authData, sha256(clientDataJSON)])
      const signature = sign(credential.alg === 'EdDSA' ? null : 'sha256', signed, credential.privateKey)
      return {
        id: credential.id,
        rawId: credential.id,
        type: 'public-key',
        authenticatorAttachment: 'platform',
        clientExtensionResults: {},
        response: {
          clientDataJSON: b64url(clientDataJSON),
          authenticatorData: b64url(authData),
          signature: b64url(signature),
          userHandle: credential.userHandle
        }
      }
    }
  }
}

export type SoftAuthenticator = ReturnType<typeof createSoftAuthenticator>
