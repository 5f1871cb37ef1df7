/** Hand-made JWTs for tests that prove the service rejects what it did not issue itself. */
import { createHmac, sign, type KeyObject } from 'node:crypto'

export type Signer = (signingInput: string) => string

const encode = (part: object): string => Buffer.from(JSON.stringify(part)).toString('base64url')

export function forgeJwt (header: object, payload: object, signer: Signer): string {
  const signingInput = `${encode(header)}.${encode(payload)}`
  return `${signingInput}.${signer(signingInput)}`
}

export const hmacSigner = (secret: string | Buffer, hash = 'sha256'): Signer =>
  (input) => createHmac(hash, secret).update(input).digest('base64url')

export const eddsaSigner = (privateKey: KeyObject): Signer =>
  (input) => sign(null, Buffer.from(input), privateKey).toString('base64url')

export const noSignature: Signer = () => ''

export function decodeJwt (token: string): { header: Record<string, unknown>, payload: Record<string, unknown>, signingInput: string, signature: string } {
  const [header = '', payload = '', signature = ''] = token.split('.')
  return {
    header: JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as Record<string, unknown>,
    payload: JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>,
    signingInput: `${header}.${payload}`,
    signature
  }
}
