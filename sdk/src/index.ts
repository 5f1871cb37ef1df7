/** The auth service's TypeScript client. */
export { createAuthClient, type AuthClient, type AuthClientOptions, type AuthListener, type MfaMethod, type MfaProof, type SignInResult, type User } from './client.js'
export { AuthError, type Problem } from './errors.js'
export { memoryStorage, type TokenStorage } from './storage.js'
export type { components, paths, operations } from './schema.js'
