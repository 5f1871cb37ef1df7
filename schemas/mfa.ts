/** Request and response contracts of the second factors: enrollment, step-up codes, the login step. */
import { Type, type Static } from '@sinclair/typebox'
import { OpaqueToken } from './common.js'

const CurrentPassword = Type.String({ minLength: 1, maxLength: 512, description: 'The current password, to confirm' })

/** Step-up: optional in the schema so that its absence is `400 mfa_code_required`, not a validation failure. */
export const MfaCode = Type.String({
  minLength: 1,
  maxLength: 64,
  description: 'Needed once MFA is on: a current TOTP code or an unused recovery code (400 `mfa_code_required` without it, 401 `invalid_mfa_code` when wrong)'
})

export const StartTotpBody = Type.Object({ password: CurrentPassword }, { additionalProperties: false })
export type StartTotpBody = Static<typeof StartTotpBody>

export const TotpEnrollment = Type.Object({
  secret: Type.String({ description: 'Base32 (SHA-1, 6 digits, 30 s), for typing into an authenticator app; shown this once' }),
  otpauth_uri: Type.String({ description: '`otpauth://totp/…` to show as a QR code; issuer = the service, label = the email' })
})

export const ConfirmTotpBody = Type.Object({
  code: Type.String({ minLength: 1, maxLength: 64, description: 'The 6-digit code the authenticator app shows now' })
}, { additionalProperties: false })
export type ConfirmTotpBody = Static<typeof ConfirmTotpBody>

export const RecoveryCodes = Type.Object({
  recovery_codes: Type.Array(Type.String(), { description: '10 single-use codes, shown this once: the user keeps them somewhere safe' })
})

export const MfaChangeBody = Type.Object({
  password: CurrentPassword,
  mfa_code: Type.Optional(MfaCode)
}, { additionalProperties: false })
export type MfaChangeBody = Static<typeof MfaChangeBody>

export const MfaStatus = Type.Object({
  totp: Type.Boolean({ description: 'A confirmed TOTP factor is active (MFA is on)' }),
  passkeys: Type.Integer({ description: 'Registered passkeys' }),
  recovery_codes_left: Type.Integer({ description: 'Unused recovery codes' })
})

export const MfaVerifyBody = Type.Object({
  mfa_token: OpaqueToken,
  code: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'A TOTP code' })),
  recovery_code: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'An unused recovery code' }))
}, { additionalProperties: false, description: '`mfa_token` from `mfa_required`, and exactly one of `code` or `recovery_code`' })
export type MfaVerifyBody = Static<typeof MfaVerifyBody>
