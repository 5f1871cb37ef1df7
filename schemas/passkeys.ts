/**
 * Passkeys and the WebAuthn JSON forms (W3C WebAuthn Level 3 §5.1.8, §5.1.9, §5.4, §5.5): what
 * `PublicKeyCredential.parseCreationOptionsFromJSON()` reads and `toJSON()` writes.
 */
import { Type, type Static } from '@sinclair/typebox'
import { StringEnum, Timestamp } from './common.js'

/** Unpadded base64url, as `toJSON()` writes binary members. */
const Base64Url = (maxLength: number, description?: string) =>
  Type.String({ minLength: 1, maxLength, pattern: '^[A-Za-z0-9_-]+$', ...(description === undefined ? {} : { description }) })

// A credential id is at most 1023 bytes (WebAuthn §4): 1364 characters of base64url.
const CredentialId = Base64Url(1364, 'The credential id, base64url')
const Transports = Type.Array(Type.String({ pattern: '^[a-z][a-z-]{0,31}$' }), {
  maxItems: 16,
  description: 'How the authenticator is reached: `internal`, `hybrid`, `usb`, `nfc`, `ble`, `smart-card`'
})
const ClientExtensionResults = Type.Object({}, { additionalProperties: true, default: {}, description: 'Extension outputs of the client (`credProps`, …)' })
const Attachment = StringEnum(['platform', 'cross-platform'])

export const PasskeyName = Type.String({
  minLength: 1,
  maxLength: 64,
  // Any letters, marks, symbols and emoji; no control characters, lone surrogates or line breaks, not only spaces.
  pattern: '^(?!\\p{Z}*$)[^\\p{Cc}\\p{Cs}\\p{Zl}\\p{Zp}]+$',
  description: 'A label for the user, such as the device it lives on',
  examples: ['Work laptop']
})

export const Passkey = Type.Object({
  id: CredentialId,
  name: PasskeyName,
  created_at: Timestamp,
  last_used_at: Type.Union([Timestamp, Type.Null()], { description: 'The last sign-in with it; null before the first' }),
  backed_up: Type.Boolean({ description: 'The credential is synced to other devices of the user (a multi-device passkey)' }),
  transports: Transports
}, { $id: 'Passkey', description: 'A passkey (WebAuthn credential) of the account' })
export type Passkey = Static<typeof Passkey>

export const RegistrationResponse = Type.Object({
  id: CredentialId,
  rawId: CredentialId,
  type: Type.Literal('public-key'),
  response: Type.Object({
    clientDataJSON: Base64Url(4096),
    attestationObject: Base64Url(12000),
    authenticatorData: Type.Optional(Base64Url(8192)),
    transports: Type.Optional(Transports),
    publicKeyAlgorithm: Type.Optional(Type.Integer()),
    publicKey: Type.Optional(Base64Url(2048))
  }, { additionalProperties: false }),
  authenticatorAttachment: Type.Optional(Attachment),
  clientExtensionResults: ClientExtensionResults
}, { additionalProperties: false, description: 'RegistrationResponseJSON: `credential.toJSON()` of `navigator.credentials.create()`' })

export const AuthenticationResponse = Type.Object({
  id: CredentialId,
  rawId: CredentialId,
  type: Type.Literal('public-key'),
  response: Type.Object({
    clientDataJSON: Base64Url(4096),
    authenticatorData: Base64Url(8192),
    signature: Base64Url(2048),
    userHandle: Type.Optional(Type.String({ maxLength: 128, pattern: '^[A-Za-z0-9_-]*$' })),
    attestationObject: Type.Optional(Base64Url(12000))
  }, { additionalProperties: false }),
  authenticatorAttachment: Type.Optional(Attachment),
  clientExtensionResults: ClientExtensionResults
}, { additionalProperties: false, description: 'AuthenticationResponseJSON: `credential.toJSON()` of `navigator.credentials.get()`' })

export const AddPasskeyBody = Type.Object({
  response: RegistrationResponse,
  name: Type.Optional(PasskeyName)
}, { additionalProperties: false })
export type AddPasskeyBody = Static<typeof AddPasskeyBody>

export const RenamePasskeyBody = Type.Object({ name: PasskeyName }, { additionalProperties: false })
export type RenamePasskeyBody = Static<typeof RenamePasskeyBody>

export const PasskeyParams = Type.Object({ id: CredentialId }, { additionalProperties: false })

const Descriptor = Type.Object({
  id: CredentialId,
  type: Type.String({ description: '`public-key`' }),
  transports: Type.Optional(Type.Array(Type.String()))
})

// Options are the server's own output: the serializer must keep members a library upgrade adds.
const open = { additionalProperties: true } as const

export const CreationOptions = Type.Object({
  rp: Type.Object({ id: Type.Optional(Type.String()), name: Type.String() }, open),
  user: Type.Object({ id: Type.String(), name: Type.String(), displayName: Type.String() }, open),
  challenge: Type.String(),
  pubKeyCredParams: Type.Array(Type.Object({ alg: Type.Integer(), type: Type.String() })),
  timeout: Type.Optional(Type.Integer()),
  excludeCredentials: Type.Optional(Type.Array(Descriptor)),
  authenticatorSelection: Type.Optional(Type.Object({}, open)),
  attestation: Type.Optional(Type.String()),
  extensions: Type.Optional(Type.Object({}, open)),
  hints: Type.Optional(Type.Array(Type.String()))
}, { ...open, description: 'PublicKeyCredentialCreationOptionsJSON, for `PublicKeyCredential.parseCreationOptionsFromJSON()`' })

export const RequestOptions = Type.Object({
  challenge: Type.String(),
  timeout: Type.Optional(Type.Integer()),
  rpId: Type.Optional(Type.String()),
  allowCredentials: Type.Optional(Type.Array(Descriptor)),
  userVerification: Type.Optional(Type.String()),
  hints: Type.Optional(Type.Array(Type.String())),
  extensions: Type.Optional(Type.Object({}, open))
}, { ...open, description: 'PublicKeyCredentialRequestOptionsJSON, for `PublicKeyCredential.parseRequestOptionsFromJSON()`' })

export const PasskeyLoginOptions = Type.Object({
  challenge_id: Type.String({ description: 'Give it back to `POST /auth/passkey/login`' }),
  options: RequestOptions
})

export const PasskeyLoginBody = Type.Object({
  challenge_id: Type.String({ minLength: 43, maxLength: 43, pattern: '^[A-Za-z0-9_-]+$' }),
  response: AuthenticationResponse
}, { additionalProperties: false })
export type PasskeyLoginBody = Static<typeof PasskeyLoginBody>

export const EmptyBody = Type.Object({}, { additionalProperties: false })
