/**
 * `createAuthClient`: sign-up, sign-in (with its MFA and passkey steps), sign-out, and a `fetch`
 * that carries the access token and refreshes it once, however many requests meet its expiry.
 */
import createClient, { type Client } from 'openapi-fetch'
import { AuthError, errorOf, type Problem } from './errors.js'
import { memoryStorage, type TokenStorage } from './storage.js'
import { createTabs, soloTab, type SharedToken } from './tabs.js'
import type { components, paths } from './schema.js'

export type User = components['schemas']['User']
type Session = components['schemas']['Session']

export type MfaMethod = 'totp' | 'recovery_code' | 'passkey'

export type SignInResult =
  | { status: 'signed_in', user: User }
  | { status: 'mfa_required', mfaToken: string, methods: MfaMethod[] }
  | { status: 'verification_pending', user: User, message: string }

export type MfaProof = { code: string } | { recoveryCode: string } | { passkey: unknown }

export interface AuthClientOptions {
  /** Where the service answers, e.g. `https://auth.example.com` (no `/api/v1`). */
  baseUrl: string
  /** `cookie`: the refresh token lives in an HttpOnly cookie (SPA). `body`: in `storage` (mobile). */
  transport: 'cookie' | 'body'
  /** Body mode only: where the refresh token is kept; memory by default. */
  storage?: TokenStorage
  fetch?: typeof fetch
  /** Cookie mode: the name tabs of one app coordinate under. */
  channel?: string
}

export type AuthListener = (user: User | null) => void

const REFRESH_TOKEN_KEY = 'auth-service.refresh_token'
// Refresh a little before the real expiry, so a request does not leave with a token about to lapse.
const EXPIRY_MARGIN_MS = 5_000

export function createAuthClient (options: AuthClientOptions) {
  const baseUrl = options.baseUrl.replace(/\/+$/, '')
  const send = options.fetch ?? globalThis.fetch.bind(globalThis)
  const storage = options.storage ?? memoryStorage()
  const cookieMode = options.transport === 'cookie'
  const listeners = new Set<AuthListener>()
  let token: SharedToken | null = null
  let inFlight: Promise<SharedToken | null> | null = null

  const setToken = (next: SharedToken | null) => {
    const changed = (token?.user as User | undefined)?.id !== (next?.user as User | undefined)?.id
    token = next
    if (changed) for (const listener of listeners) listener(next === null ? null : next.user as User)
  }
  // Tabs share the refresh cookie only in cookie mode; a mobile app has no tabs to tell.
  const tabs = cookieMode
    ? createTabs(options.channel ?? 'auth-service', {
      onToken: (shared) => { if (token === null || shared.expiresAt >= token.expiresAt) setToken(shared) },
      onSignOut: () => setToken(null)
    })
    : soloTab

  async function call (path: string, body: unknown, extra: { bearer?: string } = {}): Promise<Response> {
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-auth-transport': options.transport }
    if (extra.bearer !== undefined) headers.authorization = `Bearer ${extra.bearer}`
    try {
      return await send(`${baseUrl}/api/v1${path}`, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        ...(cookieMode ? { credentials: 'include' as const } : {})
      })
    } catch (err) {
      throw new AuthError(0, 'network_error', err instanceof Error ? err.message : 'The service could not be reached.')
    }
  }

  async function adopt (session: Session): Promise<SharedToken> {
    if (!cookieMode && session.refresh_token !== undefined) await storage.set(REFRESH_TOKEN_KEY, session.refresh_token)
    const shared = { accessToken: session.access_token, expiresAt: Date.now() + session.expires_in * 1000, user: session.user }
    setToken(shared)
    return shared
  }

  /** A Session answer signs in; `mfa_required` asks for the second step; anything else throws. */
  async function signInFrom (response: Response): Promise<SignInResult> {
    if (response.ok) {
      const body = await response.json() as Session | { user: User, message: string }
      if ('access_token' in body) {
        const shared = await adopt(body)
        tabs.announce(shared)
        return { status: 'signed_in', user: body.user }
      }
      return { status: 'verification_pending', user: body.user, message: body.message }
    }
    const error = await errorOf(response)
    const problem = error.problem as (Problem & { mfa_token?: string, methods?: MfaMethod[] }) | undefined
    if (error.code === 'mfa_required' && typeof problem?.mfa_token === 'string') {
      return { status: 'mfa_required', mfaToken: problem.mfa_token, methods: problem.methods ?? [] }
    }
    throw error
  }

  async function refreshNow (): Promise<SharedToken> {
    const refreshToken = cookieMode ? undefined : await storage.get(REFRESH_TOKEN_KEY)
    if (!cookieMode && refreshToken === null) throw new AuthError(401, 'invalid_refresh_token', 'Not signed in.')
    const response = await call('/auth/refresh', refreshToken === undefined ? {} : { refresh_token: refreshToken })
    if (!response.ok) {
      const error = await errorOf(response)
      if (response.status === 401) await forget(true)
      throw error
    }
    return await adopt(await response.json() as Session)
  }

  /** One refresh for every caller that meets an expired token at the same time (and, in cookie mode, every tab). */
  async function refresh (): Promise<SharedToken | null> {
    inFlight ??= tabs.refreshOnce(refreshNow).finally(() => { inFlight = null })
    return await inFlight
  }

  async function forget (announce: boolean): Promise<void> {
    if (!cookieMode) await storage.remove(REFRESH_TOKEN_KEY)
    setToken(null)
    if (announce) tabs.announceSignOut()
  }

  async function accessToken (): Promise<string | null> {
    if (token !== null && token.expiresAt - EXPIRY_MARGIN_MS > Date.now()) return token.accessToken
    try {
      return (await refresh())?.accessToken ?? null
    } catch (err) {
      if (err instanceof AuthError && err.status === 401) return null
      throw err
    }
  }

  /** `fetch` with the bearer token; an answer that says the token expired is retried once after a refresh. */
  async function authorizedFetch (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> {
    const request = new Request(input, init)
    const attempt = async (bearer: string | null) => {
      const sent = request.clone()
      if (bearer !== null) sent.headers.set('authorization', `Bearer ${bearer}`)
      return await send(sent)
    }
    const first = await attempt(await accessToken())
    if (first.status !== 401 || first.headers.get('www-authenticate')?.includes('invalid_token') !== true) return first
    const problem = await first.clone().json().catch(() => undefined) as Problem | undefined
    if (problem?.code === 'token_revoked') {
      await forget(true)
      return first
    }
    const renewed = await refresh().catch(() => null)
    return renewed === null ? first : await attempt(renewed.accessToken)
  }

  const api: Client<paths> = createClient<paths>({ baseUrl, fetch: (request: Request) => authorizedFetch(request) })

  return {
    /** Typed requests to every operation of the service's OpenAPI document, signed in. */
    api,
    /** For the app's own APIs that trust these tokens: adds the bearer token, refreshes once when it expired. */
    fetch: authorizedFetch,
    get user (): User | null { return token === null ? null : token.user as User },
    accessToken,
    onChange (listener: AuthListener): () => void {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },

    signUp: async (fields: { email: string, username: string, password: string }) => await signInFrom(await call('/auth/register', fields)),
    signIn: async (fields: { login: string, password: string }) => await signInFrom(await call('/auth/login', { username: fields.login, password: fields.password })),
    verifyEmail: async (proof: { token: string } | { email: string, code: string }) => await signInFrom(await call('/auth/verify-email', proof)),
    resendVerification: async (email: string) => { await expectOk(await call('/auth/resend-verification', { email })) },
    forgotPassword: async (email: string) => { await expectOk(await call('/auth/forgot-password', { email })) },

    /** The second step of a sign-in that answered `mfa_required`. */
    async verifyMfa (mfaToken: string, proof: MfaProof): Promise<SignInResult> {
      const body = 'code' in proof ? { mfa_token: mfaToken, code: proof.code } : 'recoveryCode' in proof ? { mfa_token: mfaToken, recovery_code: proof.recoveryCode } : { mfa_token: mfaToken, passkey: proof.passkey }
      return await signInFrom(await call('/auth/mfa/verify', body))
    },
    /** Request options for the account's passkeys, as the second step; hand them to `startAuthentication`. */
    mfaPasskeyOptions: async (mfaToken: string) => await json(await call('/auth/mfa/passkey-options', { mfa_token: mfaToken })),
    /**
     * Passwordless sign-in: `authenticate` gets the request options and answers the browser's
     * assertion, e.g. `(optionsJSON) => startAuthentication({ optionsJSON })` of @simplewebauthn/browser.
     */
    async signInWithPasskey (authenticate: (options: unknown) => Promise<unknown>): Promise<SignInResult> {
      const { challenge_id: challengeId, options: requestOptions } = await json(await call('/auth/passkey/options', {})) as { challenge_id: string, options: unknown }
      return await signInFrom(await call('/auth/passkey/login', { challenge_id: challengeId, response: await authenticate(requestOptions) }))
    },

    /** Native provider sign-in (Sign in with Apple, Google on Android/iOS): the ID token the OS handed the app. */
    signInWithIdToken: async (provider: string, idToken: string, nonce?: string) =>
      await signInFrom(await call(`/auth/oauth/${encodeURIComponent(provider)}/id-token`, nonce === undefined ? { id_token: idToken } : { id_token: idToken, nonce })),
    /** The end of the redirect flow: the `code` the app's redirect URI received, and the PKCE verifier the app kept. */
    exchangeOAuthCode: async (code: string, codeVerifier: string) => await signInFrom(await call('/auth/oauth/exchange', { code, code_verifier: codeVerifier })),

    /** After a reload: signs in again from the refresh cookie (or stored token); null when there is none. */
    async restore (): Promise<User | null> {
      return await accessToken() === null ? null : token?.user as User
    },

    /** Ends this session (`local`), every session (`global`) or all the others; clears the tokens here and in other tabs. */
    async signOut (scope: 'local' | 'global' | 'others' = 'local'): Promise<void> {
      const bearer = token?.accessToken
      const refreshToken = cookieMode ? undefined : await storage.get(REFRESH_TOKEN_KEY)
      const response = await call('/auth/logout', refreshToken === undefined || refreshToken === null ? { scope } : { scope, refresh_token: refreshToken }, bearer === undefined ? {} : { bearer })
      if (scope !== 'others') await forget(true)
      if (!response.ok && response.status !== 401) throw await errorOf(response)
    },

    /** Stops listening to other tabs. */
    close: () => tabs.close()
  }
}

async function expectOk (response: Response): Promise<void> {
  if (!response.ok) throw await errorOf(response)
}

async function json (response: Response): Promise<unknown> {
  if (!response.ok) throw await errorOf(response)
  return await response.json()
}

export type AuthClient = ReturnType<typeof createAuthClient>
