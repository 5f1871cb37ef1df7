/** Access tokens (RFC 9068 JWTs) and opaque refresh tokens. */
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { errors } from '../errors.js'

export const ACCESS_TOKEN_TYPE = 'at+jwt'

export interface AccessClaims {
  iss: string
  aud: string
  sub: string
  sid: string
  jti: string
  iat: number
  exp: number
  roles: string[]
  /** RFC 9068 §2.2: the OAuth client the token was issued to; absent from tokens issued before it was added. */
  client_id?: string
  /** RFC 8176 methods of the session; absent only from tokens issued before sessions recorded them. */
  amr?: string[]
}

export interface JwtFunctions {
  sign: (payload: AccessClaims) => string
  /**
   * Verifies signature, algorithm, typ, iss, aud and exp; throws on any failure. Answers a promise
   * only when it must first reload the keys (a `kid` it has not seen).
   */
  verify: (token: string) => unknown
}

export interface AccessTokenSettings {
  issuer: string
  audience: string
  clientId: string
  ttlSeconds: number
}

export interface IssuedAccessToken {
  token: string
  expiresIn: number
  claims: AccessClaims
}

export function createAccessTokens (jwt: JwtFunctions, settings: AccessTokenSettings) {
  return {
    issue (userId: string, sessionId: string, roles: string[], amr: string[]): IssuedAccessToken {
      const iat = Math.floor(Date.now() / 1000)
      const claims: AccessClaims = {
        iss: settings.issuer,
        aud: settings.audience,
        sub: userId,
        sid: sessionId,
        jti: randomUUID(),
        iat,
        exp: iat + settings.ttlSeconds,
        roles,
        amr,
        client_id: settings.clientId
      }
      return { token: jwt.sign(claims), expiresIn: settings.ttlSeconds, claims }
    },
    /** The claims, at once when the token's key is loaded, else a promise of them after one reload. */
    verify (token: string): AccessClaims | Promise<AccessClaims> {
      let payload: unknown
      try {
        payload = jwt.verify(token)
      } catch {
        throw errors.invalidToken()
      }
      if (payload instanceof Promise) {
        return payload.then(toAccessClaims, () => { throw errors.invalidToken() })
      }
      return toAccessClaims(payload)
    }
  }
}

export type AccessTokens = ReturnType<typeof createAccessTokens>

function toAccessClaims (payload: unknown): AccessClaims {
  if (!isAccessClaims(payload)) throw errors.invalidToken()
  return payload
}

function isAccessClaims (value: unknown): value is AccessClaims {
  if (typeof value !== 'object' || value === null) return false
  const c = value as Record<string, unknown>
  return typeof c.sub === 'string' && typeof c.sid === 'string' && typeof c.jti === 'string' &&
    typeof c.iat === 'number' && typeof c.exp === 'number' &&
    Array.isArray(c.roles) && c.roles.every((r) => typeof r === 'string') &&
    (c.amr === undefined || (Array.isArray(c.amr) && c.amr.every((m) => typeof m === 'string')))
}

/** 256 bits of randomness, base64url. */
export function generateOpaqueToken (): string {
  return randomBytes(32).toString('base64url')
}

/** Refresh and reset tokens carry 256 bits of entropy, so a fast hash is enough to keep stolen rows useless. */
export function hashOpaqueToken (token: string): string {
  return createHash('sha256').update(token).digest('base64url')
}
