/** Typed, coded errors that services throw; the error handler turns them into problem+json. */

export type ErrorCode =
  | 'validation_failed'
  | 'weak_password'
  | 'invalid_reset_token'
  | 'invalid_current_password'
  | 'invalid_credentials'
  | 'invalid_token'
  | 'token_revoked'
  | 'invalid_refresh_token'
  | 'refresh_token_reused'
  | 'forbidden'
  | 'not_found'
  | 'email_taken'
  | 'username_taken'
  | 'role_exists'
  | 'role_in_use'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'method_not_allowed'
  | 'bad_request'
  | 'rate_limited'
  | 'unavailable'
  | 'internal_error'
  | 'invalid_redirect_uri'
  | 'invalid_oauth_state'
  | 'invalid_id_token'
  | 'unknown_provider'
  | 'account_exists'
  | 'identity_taken'
  | 'last_credential'
  | 'provider_error'

const TITLES: Record<ErrorCode, string> = {
  validation_failed: 'Validation failed',
  weak_password: 'Password too weak',
  invalid_reset_token: 'Invalid reset token',
  invalid_current_password: 'Invalid current password',
  invalid_credentials: 'Invalid credentials',
  invalid_token: 'Invalid access token',
  token_revoked: 'Access token revoked',
  invalid_refresh_token: 'Invalid refresh token',
  refresh_token_reused: 'Refresh token reused',
  forbidden: 'Forbidden',
  not_found: 'Not found',
  email_taken: 'Email already registered',
  username_taken: 'Username already taken',
  role_exists: 'Role already exists',
  role_in_use: 'Role in use',
  conflict: 'Conflict',
  payload_too_large: 'Payload too large',
  unsupported_media_type: 'Unsupported media type',
  method_not_allowed: 'Method not allowed',
  bad_request: 'Bad request',
  rate_limited: 'Too many requests',
  unavailable: 'Service unavailable',
  internal_error: 'Internal server error',
  invalid_redirect_uri: 'Invalid redirect URI',
  invalid_oauth_state: 'Invalid OAuth state',
  invalid_id_token: 'Invalid ID token',
  unknown_provider: 'Unknown identity provider',
  account_exists: 'Account exists',
  identity_taken: 'Identity already linked',
  last_credential: 'Last way to sign in',
  provider_error: 'Identity provider error'
}

export interface FieldError {
  path: string
  message: string
}

export class AppError extends Error {
  readonly status: number
  readonly code: ErrorCode
  readonly title: string
  readonly errors: FieldError[] | undefined
  readonly headers: Record<string, string>

  constructor (status: number, code: ErrorCode, detail: string, extra: { errors?: FieldError[], headers?: Record<string, string> } = {}) {
    super(detail)
    this.name = 'AppError'
    this.status = status
    this.code = code
    this.title = TITLES[code]
    this.errors = extra.errors
    this.headers = extra.headers ?? {}
  }
}

export const errors = {
  validation: (detail: string, fieldErrors?: FieldError[]) => new AppError(400, 'validation_failed', detail, fieldErrors ? { errors: fieldErrors } : {}),
  weakPassword: (detail: string, path = '/password') => new AppError(400, 'weak_password', detail, { errors: [{ path, message: detail }] }),
  invalidResetToken: () => new AppError(400, 'invalid_reset_token', 'The reset token is unknown, already used or expired; ask for a new one.'),
  invalidCurrentPassword: (path = '/current_password') =>
    new AppError(400, 'invalid_current_password', 'The current password is wrong.', { errors: [{ path, message: 'is wrong' }] }),
  invalidCredentials: () => new AppError(401, 'invalid_credentials', 'The login or the password is wrong.'),
  invalidToken: (detail = 'The access token is missing, malformed, expired or not valid here.') =>
    new AppError(401, 'invalid_token', detail),
  tokenRevoked: () => new AppError(401, 'token_revoked', 'The session of this access token has ended.'),
  invalidRefreshToken: () => new AppError(401, 'invalid_refresh_token', 'The refresh token is unknown, expired or revoked.'),
  refreshTokenReused: () =>
    new AppError(401, 'refresh_token_reused', 'This refresh token was already used; the session has been ended as a precaution.'),
  forbidden: (detail = 'You lack the permission for this action.') => new AppError(403, 'forbidden', detail),
  notFound: (detail = 'No such resource.') => new AppError(404, 'not_found', detail),
  emailTaken: () => new AppError(409, 'email_taken', 'An account with this email already exists.'),
  usernameTaken: () => new AppError(409, 'username_taken', 'This username is already taken.'),
  rateLimited: (retryAfterSeconds: number, detail = 'Too many requests.') => {
    const seconds = Math.max(1, Math.ceil(retryAfterSeconds))
    return new AppError(429, 'rate_limited', `${detail} Retry in ${seconds} s.`, { headers: { 'retry-after': String(seconds) } })
  },
  invalidRedirectUri: () => new AppError(400, 'invalid_redirect_uri', 'This redirect_uri is not one the service was configured with.'),
  invalidOauthState: (detail = 'The sign-in state is unknown, already used or expired; start the sign-in again.') => new AppError(400, 'invalid_oauth_state', detail),
  invalidIdToken: (detail = 'The ID token could not be verified.') => new AppError(401, 'invalid_id_token', detail),
  unknownProvider: (name: string) => new AppError(404, 'unknown_provider', `No identity provider named "${name}" is configured.`),
  accountExists: () =>
    new AppError(409, 'account_exists', 'An account with this email exists; sign in to it the usual way and link this identity from there.'),
  identityTaken: () => new AppError(409, 'identity_taken', 'This identity is already linked to another account.'),
  lastCredential: (detail = 'This is the last way to sign in to the account; add another one first.') => new AppError(409, 'last_credential', detail),
  providerError: (detail = 'The identity provider answered something unusable.') => new AppError(502, 'provider_error', detail),
  unavailable: (dependency: string) => new AppError(503, 'unavailable', `A dependency is unavailable: ${dependency}.`, { headers: { 'retry-after': '5' } })
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
