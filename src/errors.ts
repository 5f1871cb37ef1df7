/**
 * Every error code of the contract, with its one HTTP status and title. Services and plugins
 * throw through the `errors` constructors below, so a code cannot be paired with the wrong
 * status; the error handler turns them into problem+json and the OpenAPI `Problem.code` enum is
 * read from the same table.
 */

const ERROR_TABLE = {
  validation_failed: { status: 400, title: 'Validation failed' },
  weak_password: { status: 400, title: 'Password too weak' },
  invalid_reset_token: { status: 400, title: 'Invalid reset token' },
  invalid_current_password: { status: 400, title: 'Invalid current password' },
  invalid_verification_token: { status: 400, title: 'Invalid verification token' },
  mfa_code_required: { status: 400, title: 'MFA code required' },
  invalid_redirect_uri: { status: 400, title: 'Invalid redirect URI' },
  invalid_oauth_state: { status: 400, title: 'Invalid OAuth state' },
  bad_request: { status: 400, title: 'Bad request' },
  invalid_credentials: { status: 401, title: 'Invalid credentials' },
  invalid_token: { status: 401, title: 'Invalid access token' },
  token_revoked: { status: 401, title: 'Access token revoked' },
  invalid_refresh_token: { status: 401, title: 'Invalid refresh token' },
  refresh_token_reused: { status: 401, title: 'Refresh token reused' },
  mfa_required: { status: 401, title: 'Second factor required' },
  invalid_mfa_code: { status: 401, title: 'Invalid MFA code' },
  invalid_mfa_token: { status: 401, title: 'Invalid MFA token' },
  invalid_passkey: { status: 401, title: 'Invalid passkey' },
  invalid_id_token: { status: 401, title: 'Invalid ID token' },
  forbidden: { status: 403, title: 'Forbidden' },
  email_not_verified: { status: 403, title: 'Email not verified' },
  not_found: { status: 404, title: 'Not found' },
  unknown_provider: { status: 404, title: 'Unknown identity provider' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  email_taken: { status: 409, title: 'Email already registered' },
  username_taken: { status: 409, title: 'Username already taken' },
  role_exists: { status: 409, title: 'Role already exists' },
  role_in_use: { status: 409, title: 'Role in use' },
  account_exists: { status: 409, title: 'Account exists' },
  identity_taken: { status: 409, title: 'Identity already linked' },
  last_credential: { status: 409, title: 'Last way to sign in' },
  conflict: { status: 409, title: 'Conflict' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  rate_limited: { status: 429, title: 'Too many requests' },
  internal_error: { status: 500, title: 'Internal server error' },
  provider_error: { status: 502, title: 'Identity provider error' },
  unavailable: { status: 503, title: 'Service unavailable' }
} as const satisfies Record<string, { status: number, title: string }>

export type ErrorCode = keyof typeof ERROR_TABLE

/** Every code, in table order: the OpenAPI enum of `Problem.code`. */
export const ERROR_CODES = Object.keys(ERROR_TABLE) as ErrorCode[]

export interface FieldError {
  path: string
  message: string
}

export interface ErrorExtras {
  errors?: FieldError[]
  headers?: Record<string, string>
  /** Extra members of the problem body, such as `mfa_token` (they must be in the Problem schema). */
  members?: Record<string, unknown>
}

export class AppError extends Error {
  readonly status: number
  readonly code: ErrorCode
  readonly title: string
  readonly errors: FieldError[] | undefined
  readonly headers: Record<string, string>
  readonly members: Record<string, unknown>

  constructor (code: ErrorCode, detail: string, extra: ErrorExtras = {}, status: number = ERROR_TABLE[code].status) {
    super(detail)
    this.name = 'AppError'
    this.status = status
    this.code = code
    this.title = ERROR_TABLE[code].title
    this.errors = extra.errors
    this.headers = extra.headers ?? {}
    this.members = extra.members ?? {}
  }
}

const coded = (code: ErrorCode) => (detail: string, extra?: ErrorExtras) => new AppError(code, detail, extra)
const BEARER_CHALLENGE = { 'www-authenticate': 'Bearer' }

// The codes that HTTP-level failures of the framework (no route, a body too large…) are answered with.
const CODE_OF_STATUS: Partial<Record<number, ErrorCode>> = {
  400: 'validation_failed',
  401: 'invalid_token',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited'
}

export const errors = {
  validation: (detail: string, fieldErrors?: FieldError[]) => new AppError('validation_failed', detail, fieldErrors ? { errors: fieldErrors } : {}),
  weakPassword: (detail: string, path = '/password') => new AppError('weak_password', detail, { errors: [{ path, message: detail }] }),
  invalidResetToken: () => new AppError('invalid_reset_token', 'The reset token is unknown, already used or expired; ask for a new one.'),
  invalidCurrentPassword: (path = '/current_password') =>
    new AppError('invalid_current_password', 'The current password is wrong.', { errors: [{ path, message: 'is wrong' }] }),
  invalidVerificationToken: (detail = 'The verification link or code is unknown, already used or expired; ask for a new one.') =>
    new AppError('invalid_verification_token', detail),
  mfaCodeRequired: (path = '/mfa_code') =>
    new AppError('mfa_code_required', 'This account has a second factor: this change also needs mfa_code.', { errors: [{ path, message: 'is required' }] }),
  invalidRedirectUri: () => new AppError('invalid_redirect_uri', 'This redirect_uri is not one the service was configured with.'),
  invalidOauthState: (detail = 'The sign-in state is unknown, already used or expired; start the sign-in again.') => new AppError('invalid_oauth_state', detail),
  invalidCredentials: (detail = 'The login or the password is wrong.', extra?: ErrorExtras) => new AppError('invalid_credentials', detail, extra),
  invalidToken: (detail = 'The access token is missing, malformed, expired or not valid here.') => new AppError('invalid_token', detail),
  /** No access token was presented at all: RFC 6750 says the challenge then names no error. */
  tokenRequired: (detail = 'This route needs an access token.') => new AppError('invalid_token', detail, { headers: BEARER_CHALLENGE }),
  tokenRevoked: () => new AppError('token_revoked', 'The session of this access token has ended.'),
  invalidRefreshToken: (detail = 'The refresh token is unknown, expired or revoked.') => new AppError('invalid_refresh_token', detail),
  refreshTokenReused: () =>
    new AppError('refresh_token_reused', 'This refresh token was already used; the session has been ended as a precaution.'),
  mfaRequired: (mfaToken: string, methods: string[]) =>
    // It carries a token: no cache may keep it.
    new AppError('mfa_required', 'This account has a second factor: complete the login at POST /auth/mfa/verify with the mfa_token.',
      { members: { mfa_token: mfaToken, methods }, headers: { 'cache-control': 'no-store' } }),
  invalidMfaCode: (detail = 'The code is wrong, already used or expired.') => new AppError('invalid_mfa_code', detail),
  invalidMfaToken: () => new AppError('invalid_mfa_token', 'The mfa_token is unknown, used or expired; log in again.'),
  invalidPasskey: (detail = 'The passkey could not be verified.') => new AppError('invalid_passkey', detail),
  invalidIdToken: (detail = 'The ID token could not be verified.') => new AppError('invalid_id_token', detail),
  forbidden: (detail = 'You lack the permission for this action.') => new AppError('forbidden', detail),
  emailNotVerified: () => new AppError('email_not_verified', 'The email address of this account is not verified yet; use the link or code that was mailed.'),
  notFound: (detail = 'No such resource.') => new AppError('not_found', detail),
  unknownProvider: (name: string) => new AppError('unknown_provider', `No identity provider named "${name}" is configured.`),
  emailTaken: () => new AppError('email_taken', 'An account with this email already exists.'),
  usernameTaken: () => new AppError('username_taken', 'This username is already taken.'),
  roleExists: (name: string) => new AppError('role_exists', `A role named "${name}" already exists.`),
  roleInUse: coded('role_in_use'),
  accountExists: () =>
    new AppError('account_exists', 'An account with this email exists; sign in to it the usual way and link this identity from there.'),
  identityTaken: () => new AppError('identity_taken', 'This identity is already linked to another account.'),
  lastCredential: (detail = 'This is the last way to sign in to the account; add another one first.') => new AppError('last_credential', detail),
  conflict: coded('conflict'),
  unsupportedMediaType: coded('unsupported_media_type'),
  rateLimited: (retryAfterSeconds: number, detail = 'Too many requests.') => {
    const seconds = Math.max(1, Math.ceil(retryAfterSeconds))
    return new AppError('rate_limited', `${detail} Retry in ${seconds} s.`, { headers: { 'retry-after': String(seconds) } })
  },
  internal: () => new AppError('internal_error', 'Something went wrong on our side.'),
  providerError: (detail = 'The identity provider answered something unusable.') => new AppError('provider_error', detail),
  unavailable: (dependency: string) => new AppError('unavailable', `A dependency is unavailable: ${dependency}.`, { headers: { 'retry-after': '5' } }),
  /** A 4xx of the framework itself; its status is kept, under the code of that status or `bad_request`. */
  http: (status: number, detail: string) => new AppError(CODE_OF_STATUS[status] ?? 'bad_request', detail, {}, status)
}

/** Marks an error raised by an unreachable dependency so the error handler answers 503. */
export class DependencyError extends Error {
  readonly dependency: string
  constructor (dependency: string, cause: unknown) {
    super(`${dependency} unavailable`, { cause })
    this.name = 'DependencyError'
    this.dependency = dependency
  }
}

/** Runs a call to a dependency; any failure of it becomes a DependencyError (503), whatever the client library threw. */
export async function guardDependency<T> (dependency: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op()
  } catch (err) {
    throw new DependencyError(dependency, err)
  }
}
