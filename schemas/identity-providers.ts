/** Request and response contracts of sign-in with identity providers (OpenID Connect). */
import { Type, type Static } from '@sinclair/typebox'
import { OpaqueToken, StringEnum, Timestamp, Uuid } from './common.js'

export const ProviderParams = Type.Object({
  provider: Type.String({ minLength: 1, maxLength: 64, description: 'A name of `OIDC_PROVIDERS`' })
}, { additionalProperties: false })
export type ProviderParams = Static<typeof ProviderParams>

export const Provider = Type.Object({
  name: Type.String(),
  issuer: Type.String({ description: 'The issuer its ID tokens carry' })
})

export const AuthorizeQuery = Type.Object({
  redirect_uri: Type.String({ minLength: 1, maxLength: 2048, description: 'Exactly one of `OAUTH_REDIRECT_URIS`' }),
  code_challenge: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$', description: 'The app\'s BASE64URL(SHA256(code_verifier)) (RFC 7636)' }),
  code_challenge_method: StringEnum(['S256']),
  link_token: Type.Optional(OpaqueToken)
}, { additionalProperties: false })
export type AuthorizeQuery = Static<typeof AuthorizeQuery>

const QueryText = Type.String({ maxLength: 4096 })

/** Providers add parameters of their own to the callback (`iss`, `scope`, `session_state`…), so others are let through. */
export const CallbackQuery = Type.Object({
  state: Type.Optional(QueryText),
  code: Type.Optional(QueryText),
  error: Type.Optional(QueryText)
}, { additionalProperties: QueryText })

export const ExchangeBody = Type.Object({
  code: OpaqueToken,
  code_verifier: Type.String({ pattern: '^[A-Za-z0-9._~-]{43,128}$', description: 'The verifier of the `code_challenge` given to authorize' })
}, { additionalProperties: false })
export type ExchangeBody = Static<typeof ExchangeBody>

export const IdTokenBody = Type.Object({
  id_token: Type.String({ minLength: 1, maxLength: 8192 }),
  nonce: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: 'The token\'s `nonce` must equal it or its SHA-256 in hex' }))
}, { additionalProperties: false })
export type IdTokenBody = Static<typeof IdTokenBody>

export const Identity = Type.Object({
  id: Uuid,
  provider: Type.String(),
  subject: Type.String({ description: 'The provider\'s `sub`' }),
  email: Type.Union([Type.String(), Type.Null()], { description: 'The address the provider asserted when it was linked' }),
  created_at: Timestamp
})

export const IdentityParams = Type.Object({ id: Uuid }, { additionalProperties: false })

export const LinkToken = Type.Object({
  link_token: Type.String({ description: 'Single use, 60 s: pass it to `GET /auth/oauth/{provider}/authorize`' })
})

export const Redirect = {
  type: 'null',
  description: 'A redirect (`Location`)',
  headers: { location: { type: 'string' } }
} as const
