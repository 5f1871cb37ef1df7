/** RFC 7662 token introspection. */
import { Type, type Static } from '@sinclair/typebox'

export const IntrospectionRequest = Type.Object({
  token: Type.String({ minLength: 1, maxLength: 4096 }),
  token_type_hint: Type.Optional(Type.String({ maxLength: 64, description: '`access_token` or `refresh_token`; the answer does not depend on it' }))
}, { description: 'application/x-www-form-urlencoded; unrecognized parameters are ignored (RFC 7662 §2.1)' })
export type IntrospectionRequest = Static<typeof IntrospectionRequest>

export const IntrospectionResponse = Type.Object({
  active: Type.Boolean(),
  token_type: Type.Optional(Type.Union([Type.Literal('access_token'), Type.Literal('refresh_token')])),
  sub: Type.Optional(Type.String()),
  sid: Type.Optional(Type.String()),
  exp: Type.Optional(Type.Integer()),
  iat: Type.Optional(Type.Integer()),
  iss: Type.Optional(Type.String()),
  aud: Type.Optional(Type.String()),
  roles: Type.Optional(Type.Array(Type.String())),
  amr: Type.Optional(Type.Array(Type.String()))
}, { description: 'RFC 7662 §2.2: only `active: false` for a token that is expired, revoked, logged out, of a deactivated account or unknown' })
