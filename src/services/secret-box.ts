/**
 * Encrypts secrets kept at rest (private signing keys, TOTP secrets) with AES-256-GCM.
 *
 * A sealed value is one self-describing string: `sb1.<key id>.<iv>.<tag>.<ciphertext>` (base64url
 * parts). The version prefix lets a later format coexist; the key id, derived from the key but
 * revealing nothing of it, tells "sealed under another key" apart from "altered".
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto'

export const MIN_ENCRYPTION_KEY_BYTES = 32

const VERSION = 'sb1'
const IV_BYTES = 12
const TAG_BYTES = 16
const KEY_ID_BYTES = 8

export interface SecretBox {
  /** `context` (a row's id, say) is authenticated with the value: the sealed string opens only with the same context. */
  seal: (plaintext: string | Uint8Array, context?: string) => string
  /** Answers the plaintext bytes; throws a `SecretBoxError` for a foreign key, an altered value or a wrong context. */
  open: (sealed: string, context?: string) => Buffer
}

export type SecretBoxFailure = 'malformed' | 'wrong_key' | 'tampered'

export class SecretBoxError extends Error {
  readonly reason: SecretBoxFailure

  constructor (reason: SecretBoxFailure, message: string) {
    super(message)
    this.name = 'SecretBoxError'
    this.reason = reason
  }
}

function derive (keyMaterial: Buffer, info: string, length: number): Buffer {
  return Buffer.from(hkdfSync('sha256', keyMaterial, Buffer.alloc(0), info, length))
}

function additionalData (context: string | undefined): Buffer {
  return Buffer.from(`${VERSION}:${context ?? ''}`, 'utf8')
}

/** `key`: at least 32 random bytes; the AES key and the key id are derived from it with HKDF. */
export function createSecretBox (key: Buffer): SecretBox {
  if (key.length < MIN_ENCRYPTION_KEY_BYTES) throw new Error(`an encryption key needs at least ${MIN_ENCRYPTION_KEY_BYTES} bytes`)
  const aesKey = derive(key, 'secret-box aes-256-gcm', 32)
  const keyId = derive(key, 'secret-box key id', KEY_ID_BYTES)
  const keyIdText = keyId.toString('base64url')

  return {
    seal (plaintext, context) {
      const iv = randomBytes(IV_BYTES)
      const cipher = createCipheriv('aes-256-gcm', aesKey, iv, { authTagLength: TAG_BYTES })
      cipher.setAAD(additionalData(context))
      const data = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext
      const ciphertext = Buffer.concat([cipher.update(data), cipher.final()])
      return [VERSION, keyIdText, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ciphertext.toString('base64url')].join('.')
    },

    open (sealed, context) {
      const parts = sealed.split('.')
      if (parts.length !== 5 || parts[0] !== VERSION) throw new SecretBoxError('malformed', `not a ${VERSION} sealed value`)
      const [, sealedKeyId = '', ivText = '', tagText = '', ciphertextText = ''] = parts
      const iv = Buffer.from(ivText, 'base64url')
      const tag = Buffer.from(tagText, 'base64url')
      const sealedKey = Buffer.from(sealedKeyId, 'base64url')
      if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES || sealedKey.length !== KEY_ID_BYTES) {
        throw new SecretBoxError('malformed', `not a ${VERSION} sealed value`)
      }
      if (!timingSafeEqual(sealedKey, keyId)) {
        throw new SecretBoxError('wrong_key', 'the value was sealed under another encryption key (JWT_KEY_ENCRYPTION_KEY)')
      }
      const decipher = createDecipheriv('aes-256-gcm', aesKey, iv, { authTagLength: TAG_BYTES })
      decipher.setAAD(additionalData(context))
      decipher.setAuthTag(tag)
      try {
        return Buffer.concat([decipher.update(Buffer.from(ciphertextText, 'base64url')), decipher.final()])
      } catch {
        throw new SecretBoxError('tampered', 'the sealed value was altered or belongs to another record')
      }
    }
  }
}
