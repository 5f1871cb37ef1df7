/**
 * RFC 7662 token introspection for resource servers that need revocation-aware answers: the same
 * access check as the hot path (signature, then the revocation store), and the database for
 * refresh tokens. Anything not live is `{ active: false }`, whatever the reason.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { Kysely } from 'kysely'
import { findLiveRefreshToken } from '../db/introspection-repository.js'
import type { Database } from '../db/types.js'
import { DependencyError, errors } from '../errors.js'
import type { Authenticated } from './auth.js'
import { hashOpaqueToken } from './tokens.js'

export interface IntrospectionClient {
  name: string
  secret: string
}

export type Introspection =
  | { active: false }
  | {
    active: true
    token_type: 'access_token' | 'refresh_token'
    sub: string
    sid: string
    exp: number
    iat: number
    iss: string
    aud?: string
    roles?: string[]
    amr?: string[]
  }

/** `INTROSPECTION_CLIENTS`: `name:secret,…`; a malformed entry is a start-up error. */
export function parseIntrospectionClients (text: string): IntrospectionClient[] {
  return text.split(',').map((entry) => entry.trim()).filter((entry) => entry.length > 0).map((entry) => {
    const colon = entry.indexOf(':')
    if (colon <= 0 || colon === entry.length - 1) throw new Error('INTROSPECTION_CLIENTS must be name:secret pairs separated by commas')
    return { name: entry.slice(0, colon), secret: entry.slice(colon + 1) }
  })
}

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest()

export interface IntrospectionDeps {
  db: Kysely<Database>
  clients: IntrospectionClient[]
  authenticate: (token: string) => Promise<Authenticated>
  issuer: string
}

const seconds = (date: Date) => Math.floor(date.getTime() / 1000)

export function createIntrospection ({ db, clients, authenticate, issuer }: IntrospectionDeps) {
  const known = clients.map((c) => ({ name: c.name, secret: digest(c.secret) }))

  async function introspectAccessToken (token: string): Promise<Introspection> {
    let claims: Authenticated['claims']
    try {
      ({ claims } = await authenticate(token))
    } catch (err) {
      // A store that cannot answer is a 503, not a verdict on the token.
      if (err instanceof DependencyError) throw err
      return { active: false }
    }
    const { amr } = claims as { amr?: unknown }
    return {
      active: true,
      token_type: 'access_token',
      sub: claims.sub,
      sid: claims.sid,
      exp: claims.exp,
      iat: claims.iat,
      iss: claims.iss,
      aud: claims.aud,
      roles: claims.roles,
      ...(Array.isArray(amr) ? { amr: amr.filter((m): m is string => typeof m === 'string') } : {})
    }
  }

  async function introspectRefreshToken (token: string): Promise<Introspection> {
    const live = await findLiveRefreshToken(db, hashOpaqueToken(token), new Date())
    if (live === undefined) return { active: false }
    return {
      active: true,
      token_type: 'refresh_token',
      sub: live.user_id,
      sid: live.session_id,
      exp: seconds(live.expires_at),
      iat: seconds(live.issued_at),
      iss: issuer
    }
  }

  return {
    /** Whether introspection is offered at all (some client is configured). */
    enabled: known.length > 0,

    /** The client of these HTTP Basic credentials; throws 401 for anything else. */
    authenticateClient (name: string | undefined, secret: string | undefined): string {
      const presented = digest(secret ?? '')
      // Every configured secret is compared, so the time taken says nothing of which names exist.
      let found: string | undefined
      for (const client of known) {
        if (timingSafeEqual(client.secret, presented) && client.name === name) found = client.name
      }
      if (found === undefined) {
        throw errors.invalidCredentials('Introspection needs the HTTP Basic credentials of a configured client.', { headers: { 'www-authenticate': 'Basic realm="introspection"' } })
      }
      return found
    },

    /** JWTs are access tokens and opaque strings refresh tokens: the hint cannot change the answer, only RFC 7662 asks for it. */
    async introspect (token: string): Promise<Introspection> {
      return token.includes('.') ? await introspectAccessToken(token) : await introspectRefreshToken(token)
    }
  }
}

export type IntrospectionService = ReturnType<typeof createIntrospection>
