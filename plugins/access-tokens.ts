/**
 * The access-token keys: a static configuration (JWT_SECRET, JWT_PRIVATE_KEY) or keys the service
 * manages and rotates. Exposes `app.accessTokens`, `app.keyRing` and, for managed keys,
 * `app.managedKeys` and `app.maintainSigningKeys` (what every JWT_KEYS_REFRESH runs).
 */
import fp from 'fastify-plugin'
import { createKeyRing, type KeyRing } from '../src/services/key-ring.js'
import { createManagedKeys, managedKeySettings, type ManagedKeys } from '../src/services/managed-keys.js'
import { resolveStaticKeys } from '../src/services/signing-keys.js'
import { ACCESS_TOKEN_TYPE, createAccessTokens, type AccessClaims, type AccessTokens } from '../src/services/tokens.js'

declare module 'fastify' {
  interface FastifyInstance {
    accessTokens: AccessTokens
    keyRing: KeyRing
    managedKeys: ManagedKeys | undefined
    /** Deletes expired retired keys, rotates when due, then re-reads the keys; a no-op for static keys. */
    maintainSigningKeys: () => Promise<void>
  }
}

export interface TokensPluginOptions {
  /** The clock of key rotation and retirement; tests move it. */
  now?: (() => Date) | undefined
}

export default fp<TokensPluginOptions>(async (app, options) => {
  const { config } = app
  const notices = { warn: (message: string) => app.log.warn(message) }
  const staticKeys = await resolveStaticKeys(config, notices)
  const managed = staticKeys === undefined ? createManagedKeys(app.db, app.secretBox, managedKeySettings(config, options.now)) : undefined
  if (managed !== undefined) await managed.ensure()
  const initial = staticKeys ?? await managed?.load()
  if (initial === undefined) throw new Error('no signing keys')

  const ring = createKeyRing(initial, {
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    tokenType: ACCESS_TOKEN_TYPE,
    requiredClaims: ['iss', 'aud', 'sub', 'sid', 'jti', 'iat', 'exp'],
    reload: managed?.load,
    nowMs: () => (options.now?.() ?? new Date()).getTime()
  })

  async function maintain (): Promise<void> {
    if (managed === undefined) return
    const { rotation, deleted } = await managed.maintain()
    if (rotation !== undefined) app.log.info({ rotation }, 'signing keys rotated (JWT_KEY_ROTATION_DAYS)')
    if (deleted.length > 0) app.log.info({ deleted }, 'expired retired signing keys deleted')
    await ring.reload()
  }

  if (managed !== undefined) {
    const timer = setInterval(() => {
      maintain().catch((err: unknown) => app.log.error({ err }, 'signing keys: refresh failed; the loaded keys stay in use'))
    }, config.JWT_KEYS_REFRESH * 1000)
    timer.unref()
    app.addHook('onClose', async () => { clearInterval(timer) })
  }

  app.decorate('keyRing', ring)
  app.decorate('managedKeys', managed)
  app.decorate('maintainSigningKeys', maintain)
  app.decorate('accessTokens', createAccessTokens(
    { sign: (claims: AccessClaims) => ring.sign(claims), verify: (token: string) => ring.verify(token) },
    { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, clientId: config.JWT_CLIENT_ID, ttlSeconds: config.ACCESS_TOKEN_TTL }
  ))
}, { name: 'access-tokens', dependencies: ['config', 'db', 'secret-box'] })
