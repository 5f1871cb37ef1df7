/** Request and response contracts of `/api/v1/auth`. */
import { Type, type Static } from '@sinclair/typebox'
import { Email, OpaqueToken, Password, StringEnum, Username } from './common.js'
import { MfaCode } from './mfa.js'
import { User } from './user.js'
import { Problem } from './problem.js'

export const Session = Type.Object({
  access_token: Type.String({ description: 'JWT (typ at+jwt) for `Authorization: Bearer`' }),
  token_type: Type.Literal('bearer'),
  expires_in: Type.Integer({ description: 'Seconds until the access token expires' }),
  refresh_token: Type.Optional(Type.String({ description: 'Opaque; omitted when `X-Auth-Transport: cookie`' })),
  refresh_expires_in: Type.Integer({ description: 'Seconds until the refresh token expires (sliding)' }),
  user: Type.Ref(User)
}, { $id: 'Session' })
export type Session = Static<typeof Session>

export const TransportHeaders = Type.Object({
  'x-auth-transport': Type.Optional(StringEnum(['cookie', 'body'], {
    description: '`cookie`: refresh token only in the HttpOnly cookie (SPA); `body`: only in the JSON body (mobile); absent: both'
  }))
})
export type TransportHeaders = Static<typeof TransportHeaders>

export const RegisterBody = Type.Object({
  email: Email,
  username: Username,
  password: Password
}, { additionalProperties: false })
export type RegisterBody = Static<typeof RegisterBody>

export const LoginBody = Type.Object({
  username: Type.Optional(Type.String({ minLength: 1, maxLength: 254, description: 'A username or an email, case-insensitive' })),
  email: Type.Optional(Type.String({ minLength: 1, maxLength: 254 })),
  password: Password
}, { additionalProperties: false, description: 'Give `username` (which may hold an email) or `email`' })
export type LoginBody = Static<typeof LoginBody>

export const RefreshBody = Type.Object({
  refresh_token: Type.Optional(OpaqueToken)
}, { additionalProperties: false, description: 'The refresh token, or none to use the `refresh_token` cookie' })
export type RefreshBody = Static<typeof RefreshBody>

export const RevocationRequest = Type.Object({
  token: Type.String({ minLength: 1, maxLength: 512, description: 'The refresh token to revoke' }),
  token_type_hint: Type.Optional(Type.String({ maxLength: 64, description: '`refresh_token`; any other hint is ignored' })),
  client_id: Type.Optional(Type.String({ maxLength: 256 })),
  client_secret: Type.Optional(Type.String({ maxLength: 256 }))
}, { description: 'RFC 7009 §2.1, application/x-www-form-urlencoded; unrecognized parameters are ignored' })
export type RevocationRequest = Static<typeof RevocationRequest>

export const LogoutBody = Type.Object({
  scope: Type.Optional(StringEnum(['local', 'global', 'others'], {
    default: 'local',
    description: '`local`: this session; `global`: every session of the user; `others`: all but this one'
  })),
  refresh_token: Type.Optional(OpaqueToken)
}, { additionalProperties: false })
export type LogoutBody = Static<typeof LogoutBody>

export const TokenRequest = Type.Object({
  grant_type: Type.String({ maxLength: 64, description: '`password` or `refresh_token`' }),
  username: Type.Optional(Type.String({ maxLength: 254 })),
  password: Type.Optional(Type.String({ maxLength: 512 })),
  refresh_token: Type.Optional(Type.String({ maxLength: 512 })),
  scope: Type.Optional(Type.String({ maxLength: 1024 })),
  client_id: Type.Optional(Type.String({ maxLength: 256 })),
  client_secret: Type.Optional(Type.String({ maxLength: 256 }))
}, { description: 'RFC 6749 §4.3 / §6, application/x-www-form-urlencoded; unrecognized parameters are ignored' })
export type TokenRequest = Static<typeof TokenRequest>

export const TokenResponse = Type.Object({
  access_token: Type.String(),
  token_type: Type.Literal('bearer'),
  expires_in: Type.Integer(),
  refresh_token: Type.String()
})

export const OAuthError = Type.Object({
  error: Type.String({
    description: 'RFC 6749 §5.2 code (`invalid_request`, `invalid_grant`, `unsupported_grant_type`, `temporarily_unavailable`, ' +
      '`server_error`), or the problem code of API.md where no OAuth code fits (`rate_limited`)',
    examples: ['invalid_grant']
  }),
  error_description: Type.String(),
  mfa_token: Type.Optional(Type.String({ description: 'With `mfa_required`: completes the login at /auth/mfa/verify' })),
  methods: Type.Optional(Type.Array(Type.String(), { description: 'With `mfa_required`: the second factors the account can use' }))
}, { $id: 'OAuthError', description: 'RFC 6749 §5.2 error response (application/json)' })
export type OAuthError = Static<typeof OAuthError>

const OAuthErrorResponse = Type.Unsafe<OAuthError>({
  description: 'OAuth 2.0 error',
  content: { 'application/json': { schema: Type.Ref(OAuthError) } }
})

/** Response schemas for the error statuses of an OAuth endpoint (400, 429 and 503 are always possible). */
export function oauthErrors (...statuses: number[]): Record<number, typeof OAuthErrorResponse> {
  return Object.fromEntries([400, 429, 503, ...statuses].map((s) => [s, OAuthErrorResponse]))
}

const ProblemOrOAuthErrorResponse = Type.Unsafe<Problem | OAuthError>({
  description: 'A problem, or an OAuth 2.0 error when the request was an OAuth form',
  content: {
    'application/problem+json': { schema: Type.Ref(Problem) },
    'application/json': { schema: Type.Ref(OAuthError) }
  }
})

/** For a route taking both the service's JSON and an OAuth form: each status in the shape of the request. */
export function problemsOrOAuthErrors (...statuses: number[]): Record<number, typeof ProblemOrOAuthErrorResponse> {
  return Object.fromEntries(statuses.map((s) => [s, ProblemOrOAuthErrorResponse]))
}

export const ForgotPasswordBody = Type.Object({
  email: Email
}, { additionalProperties: false })
export type ForgotPasswordBody = Static<typeof ForgotPasswordBody>

export const Accepted = Type.Object({
  message: Type.String()
}, { description: 'The request was taken; the same answer whether or not the account exists' })
export type Accepted = Static<typeof Accepted>

export const VerificationCode = Type.String({ pattern: '^[0-9]{6}$', description: 'The 6-digit code of the mail', examples: ['042137'] })

export const ResetPasswordBody = Type.Union([
  Type.Object({
    token: Type.String({ minLength: 1, maxLength: 512, description: 'The `token` parameter of the link in the reset mail' }),
    new_password: Password
  }, { additionalProperties: false, title: 'ResetByLink' }),
  Type.Object({
    email: Email,
    code: VerificationCode,
    new_password: Password
  }, { additionalProperties: false, title: 'ResetByCode' })
], { description: 'The token of the reset link, or the account email with the code of the same mail' })
export type ResetPasswordBody = Static<typeof ResetPasswordBody>

export const VerifyEmailBody = Type.Union([
  Type.Object({
    token: Type.String({ minLength: 1, maxLength: 512, description: 'The `token` parameter of the link in the verification mail' })
  }, { additionalProperties: false, title: 'VerifyByLink' }),
  Type.Object({
    email: Email,
    code: VerificationCode
  }, { additionalProperties: false, title: 'VerifyByCode' })
], { description: 'The token of the verification link, or the address the mail went to with its code' })
export type VerifyEmailBody = Static<typeof VerifyEmailBody>

export const ResendVerificationBody = Type.Object({
  email: Email
}, { additionalProperties: false })
export type ResendVerificationBody = Static<typeof ResendVerificationBody>

export const RegisterAccepted = Type.Object({
  user: Type.Ref(User),
  message: Type.String()
}, { description: '`EMAIL_VERIFICATION=required`: the account exists, the session starts at `POST /auth/verify-email`' })
export type RegisterAccepted = Static<typeof RegisterAccepted>

export const ChangePasswordBody = Type.Object({
  current_password: Password,
  new_password: Password,
  mfa_code: Type.Optional(MfaCode)
}, { additionalProperties: false })
export type ChangePasswordBody = Static<typeof ChangePasswordBody>
