/**
 * A real OpenID provider for the tests: oidc-provider on 127.0.0.1 (port 0). The test names the
 * account the next sign-in logs in as (no login page: an interaction handler finishes it), and can
 * sign ID tokens with the provider's own key or publish keys of its own in the provider's JWKS.
 * Also: a provider that answers garbage, and the helper that walks a browser's redirects.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Test } from 'tap'
import Provider, { type KoaContextWithOIDC } from 'oidc-provider'
import { exportJWK, generateKeyPair, SignJWT, type JWK, type CryptoKey } from 'jose'

export const CLIENT_ID = 'auth-service'
export const CLIENT_SECRET = 'a-client-secret-for-the-test-provider'
export const NATIVE_CLIENT_ID = 'com.example.ios'
export const PUBLIC_URL = 'https://auth.example.test'
export const APP_REDIRECT = 'https://app.example.test/callback'
export const NATIVE_REDIRECT = 'com.example.app:/oauth'

export interface ProviderAccount {
  email?: string
  email_verified?: boolean | string
  name?: string
  preferred_username?: string
}

export interface SigningKey {
  kid: string
  privateKey: CryptoKey
  publicJwk: JWK
}

export async function signingKey (kid: string, alg = 'RS256'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  return { kid, privateKey, publicJwk: { ...await exportJWK(publicKey), kid, alg, use: 'sig' } }
}

export interface TestIdentityProvider {
  issuer: string
  port: number
  /** The provider's own signing key (it signs the ID tokens of the redirect flow with it). */
  key: SigningKey
  /** Keys the test publishes in the JWKS beside the provider's own. */
  extraKeys: JWK[]
  accounts: Map<string, ProviderAccount>
  /** The account the next sign-in at the provider logs in as. */
  loginAs: (subject: string, account?: ProviderAccount) => void
  /** An ID token as a native SDK would hand it over; claims and key can be overridden. */
  idToken: (subject: string, claims?: Record<string, unknown>, options?: { key?: SigningKey, expiresIn?: string | number, header?: Record<string, unknown> }) => Promise<string>
  env: (name: string) => Record<string, string>
  close: () => Promise<void>
}

async function listen (server: Server, port = 0): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve())
  })
  return (server.address() as AddressInfo).port
}

/** Starts oidc-provider; `port` to start it where a test expected a provider that was down. */
export async function startIdentityProvider (t: Test, providerName = 'acme', port = 0): Promise<TestIdentityProvider> {
  const server = createServer()
  const actualPort = await listen(server, port)
  const issuer = `http://127.0.0.1:${actualPort}`
  const key = await signingKey('provider-key')
  const privateJwk = { ...await exportJWK(key.privateKey), kid: key.kid, alg: 'RS256', use: 'sig' }
  const accounts = new Map<string, ProviderAccount>()
  const extraKeys: JWK[] = []
  let nextLogin: string | undefined

  const provider = new Provider(issuer, {
    clients: [{
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      redirect_uris: [`${PUBLIC_URL}/api/v1/auth/oauth/${providerName}/callback`],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post'
    }],
    jwks: { keys: [privateJwk] },
    cookies: { keys: ['cookie-key-of-the-test-provider'] },
    ttl: { Interaction: 600, Grant: 600, Session: 600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username'] },
    // The email and profile claims go into the ID token itself, as Google and Apple put them.
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    findAccount: (_ctx: unknown, sub: string) => {
      const account = accounts.get(sub)
      return account === undefined ? undefined : { accountId: sub, claims: () => ({ sub, ...account }) }
    },
    // Consent is given at once: the tests are about the service, not the provider's pages.
    loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
      const clientId = ctx.oidc.client?.clientId
      const accountId = ctx.oidc.session?.accountId
      if (clientId === undefined || accountId === undefined) return undefined
      const grant = new ctx.oidc.provider.Grant({ clientId, accountId })
      grant.addOIDCScope('openid email profile')
      await grant.save()
      return grant
    }
  })
  const handle = provider.callback()
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.url?.startsWith('/interaction/') === true) {
      provider.interactionFinished(req, res, { login: { accountId: nextLogin ?? 'nobody' } }, { mergeWithLastSubmission: false })
        .catch((err: unknown) => { res.statusCode = 500; res.end(String(err)) })
      return
    }
    if (req.url === '/jwks') {
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ keys: [key.publicJwk, ...extraKeys] }))
      return
    }
    handle(req, res)
  })

  const idp: TestIdentityProvider = {
    issuer,
    port: actualPort,
    key,
    extraKeys,
    accounts,
    loginAs (subject, account) {
      if (account !== undefined) accounts.set(subject, account)
      nextLogin = subject
    },
    async idToken (subject, claims = {}, options = {}) {
      const signer = options.key ?? key
      return await new SignJWT({ iss: issuer, aud: NATIVE_CLIENT_ID, sub: subject, ...accounts.get(subject), ...claims })
        .setProtectedHeader({ alg: 'RS256', kid: signer.kid, ...options.header })
        .setIssuedAt()
        .setExpirationTime(options.expiresIn ?? '5m')
        .sign(signer.privateKey)
    },
    env: (name) => providerEnv(name, issuer),
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) })
  }
  t.teardown(() => idp.close())
  return idp
}

/** The settings that configure `issuer` as provider `name` of the service. */
export function providerEnv (name: string, issuer: string): Record<string, string> {
  const prefix = `OIDC_${name.toUpperCase()}_`
  return {
    OIDC_ALLOW_INSECURE_HTTP: 'true',
    PUBLIC_URL,
    OAUTH_REDIRECT_URIS: `${APP_REDIRECT},${NATIVE_REDIRECT}`,
    [`${prefix}ISSUER`]: issuer,
    [`${prefix}CLIENT_ID`]: CLIENT_ID,
    [`${prefix}CLIENT_SECRET`]: CLIENT_SECRET,
    [`${prefix}CLIENT_IDS`]: NATIVE_CLIENT_ID
  }
}

/**
 * A provider whose discovery document is fine but whose token endpoint and JWKS answer garbage,
 * as a misconfigured proxy in front of a real one would.
 */
export async function startGarbageProvider (t: Test): Promise<{ issuer: string }> {
  const server = createServer()
  const port = await listen(server)
  const issuer = `http://127.0.0.1:${port}`
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.url === '/.well-known/openid-configuration') {
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({
        issuer,
        authorization_endpoint: `${issuer}/auth`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256']
      }))
      return
    }
    res.setHeader('content-type', 'text/html')
    res.end('<html><body>502 Bad Gateway</body></html>')
  })
  t.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }))
  return { issuer }
}

/** A port nothing listens on (yet). */
export async function closedPort (): Promise<number> {
  const server = createServer()
  const port = await listen(server)
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/**
 * What the browser does at the provider: follows its redirects with its cookies until it is sent
 * back to the service's callback, which it answers (path and query, for `app.inject`).
 */
export async function browseToCallback (start: string): Promise<string> {
  const jar = new Map<string, string>()
  let url = start
  for (let hop = 0; hop < 12; hop += 1) {
    const res = await fetch(url, { redirect: 'manual', headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } })
    for (const cookie of res.headers.getSetCookie()) {
      const [pair = ''] = cookie.split(';')
      const at = pair.indexOf('=')
      jar.set(pair.slice(0, at), pair.slice(at + 1))
    }
    const location = res.headers.get('location')
    if (location === null) throw new Error(`the provider stopped at ${res.status}: ${await res.text()}`)
    const next = new URL(location, url)
    if (next.href.startsWith(PUBLIC_URL)) return next.pathname + next.search
    url = next.href
  }
  throw new Error('too many redirects at the provider')
}
