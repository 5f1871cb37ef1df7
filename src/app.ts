/** Builds the whole app without listening; the domain inside it comes from createServices, as the CLIs' does. */
import Fastify, { type FastifyBaseLogger, type FastifyRequest, type FastifyServerOptions } from 'fastify'
import cookie from '@fastify/cookie'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { parseTrustProxy, type Config } from './config.js'
import { packageVersion } from './version.js'
import type { OpenDatabase } from './db/create-database.js'
import configPlugin from '../plugins/config.js'
import clockPlugin, { type Clock } from '../plugins/clock.js'
import secretBox from '../plugins/secret-box.js'
import gracefulClose from '../plugins/graceful-close.js'
import tracing from '../plugins/tracing.js'
import validation from '../plugins/validation.js'
import errorsPlugin, { sendProblem, toAppError } from '../plugins/errors.js'
import security from '../plugins/security.js'
import metrics from '../plugins/metrics.js'
import db from '../plugins/db.js'
import stores from '../plugins/stores.js'
import accessTokens from '../plugins/access-tokens.js'
import mail from '../plugins/mail.js'
import services from '../plugins/services.js'
import identityProviders from '../plugins/identity-providers.js'
import introspection from '../plugins/introspection.js'
import retention from '../plugins/retention.js'
import auth from '../plugins/auth.js'
import permissions from '../plugins/permissions.js'
import rateLimit from '../plugins/rate-limit.js'
import swagger from '../plugins/swagger.js'
import startupLog from '../plugins/startup-log.js'
import authRoutes from '../routes/auth/index.js'
import tokenRoute from '../routes/auth/token.js'
import revokeRoute from '../routes/auth/revoke.js'
import introspectRoute from '../routes/auth/introspect.js'
import passwordRoutes from '../routes/auth/password.js'
import passkeyRoutes from '../routes/auth/passkey.js'
import mfaVerifyRoute from '../routes/auth/mfa.js'
import oauthRoutes from '../routes/auth/oauth.js'
import verificationRoutes from '../routes/auth/verification.js'
import userRoutes from '../routes/users/index.js'
import userPasskeyRoutes from '../routes/users/passkeys.js'
import adminUserRoutes from '../routes/users/admin.js'
import mfaRoutes from '../routes/users/mfa.js'
import identityRoutes from '../routes/users/identities.js'
import roleRoutes from '../routes/roles/index.js'
import healthRoutes from '../routes/health/index.js'
import metaRoutes from '../routes/meta/index.js'
import metricsRoutes from '../routes/metrics/index.js'
import { Problem } from '../schemas/problem.js'
import { User } from '../schemas/user.js'
import { OAuthError, Session } from '../schemas/auth.js'
import { Role } from '../schemas/role.js'
import { Passkey } from '../schemas/passkeys.js'

export interface BuildOptions {
  config: Config
  /** A logger instance or options; defaults to pino at `LOG_LEVEL` with secrets redacted. */
  logger?: FastifyServerOptions['logger'] | FastifyBaseLogger
  /** An already opened database instead of the one `DATABASE_URL` names. */
  database?: OpenDatabase
  /** The clock of signing-key rotation and retirement (tests move it); the system clock by default. */
  now?: () => Date
  /** The time TOTP steps and mfa_token lifetimes are judged by; the system clock by default. */
  clock?: Clock
}

// Secrets never reach the logs, whatever a future log line includes.
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.new_password',
  '*.current_password',
  '*.refresh_token',
  '*.access_token',
  '*.token',
  '*.mfa_token',
  '*.mfa_code',
  '*.code',
  '*.recovery_code',
  '*.recovery_codes',
  '*.secret',
  '*.otpauth_uri'
]

// Query parameters that carry a credential: the provider's code and state at the callback, a link token at authorize.
const SECRET_QUERY_PARAMS = /([?&](?:code|state|link_token|token)=)[^&#]*/g

/** Fastify's request log fields, with the values of secret query parameters masked. */
export const LOG_SERIALIZERS = {
  req: (request: FastifyRequest) => ({
    method: request.method,
    url: request.url.replace(SECRET_QUERY_PARAMS, '$1[redacted]'),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket.remotePort
  })
}

export async function buildApp ({ config, logger, database, clock, now }: BuildOptions) {
  const loggerOption = logger ?? { level: config.LOG_LEVEL, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, serializers: LOG_SERIALIZERS }
  const app = Fastify({
    ...(isLoggerInstance(loggerOption) ? { loggerInstance: loggerOption } : { logger: loggerOption }),
    trustProxy: parseTrustProxy(config.TRUST_PROXY),
    bodyLimit: config.BODY_LIMIT,
    return503OnClosing: true,
    // The embedded database runs initdb on first start, which can take well over Fastify's default 10 s.
    pluginTimeout: 120_000,
    // A URL with a broken percent-escape never reaches a route or the error handler: answer it here.
    frameworkErrors: (err, _request, reply) => { sendProblem(reply, toAppError(err)) },
    // A passkey's id is its credential id: up to 1023 bytes, 1364 characters of base64url.
    routerOptions: { maxParamLength: 1400 }
  }).withTypeProvider<TypeBoxTypeProvider>()
  const version = packageVersion()

  try {
    await app.register(configPlugin, { config })
    await app.register(clockPlugin, { clock })
    await app.register(gracefulClose)
    await app.register(tracing)
    await app.register(validation)
    await app.register(errorsPlugin)
    await app.register(security)
    // Early, so that every route and the not-found handler are measured.
    await app.register(metrics)
    await app.register(cookie)
    app.addSchema(Problem)
    app.addSchema(User)
    app.addSchema(Session)
    app.addSchema(Role)
    app.addSchema(Passkey)
    app.addSchema(OAuthError)

    await app.register(db, { database })
    await app.register(stores)
    await app.register(secretBox)
    await app.register(accessTokens, { now })
    await app.register(mail)
    await app.register(services)
    await app.register(identityProviders)
    await app.register(introspection)
    await app.register(retention)
    await app.register(auth)
    await app.register(permissions)
    await app.register(rateLimit)
    await app.register(swagger, { version })
    await app.register(startupLog)

    await app.register(metaRoutes, { version })
    await app.register(healthRoutes, { version })
    await app.register(metricsRoutes)
    await app.register(async (api) => {
      await api.register(authRoutes, { prefix: '/auth' })
      await api.register(tokenRoute, { prefix: '/auth' })
      await api.register(revokeRoute, { prefix: '/auth' })
      await api.register(introspectRoute, { prefix: '/auth' })
      await api.register(passwordRoutes, { prefix: '/auth' })
      await api.register(passkeyRoutes, { prefix: '/auth' })
      await api.register(mfaVerifyRoute, { prefix: '/auth' })
      await api.register(oauthRoutes, { prefix: '/auth' })
      await api.register(verificationRoutes, { prefix: '/auth' })
      await api.register(userRoutes, { prefix: '/users' })
      await api.register(userPasskeyRoutes, { prefix: '/users' })
      await api.register(adminUserRoutes, { prefix: '/users' })
      await api.register(mfaRoutes, { prefix: '/users' })
      await api.register(identityRoutes, { prefix: '/users' })
      await api.register(roleRoutes, { prefix: '/roles' })
    }, { prefix: '/api/v1' })
  } catch (err) {
    // A start-up that fails half-way must not leave the database or Redis connections open.
    await app.close().catch((closeErr: unknown) => app.log.error({ err: closeErr }, 'closing after a failed start failed'))
    throw err
  }

  return app
}

export type App = Awaited<ReturnType<typeof buildApp>>

function isLoggerInstance (value: unknown): value is FastifyBaseLogger {
  return typeof value === 'object' && value !== null && typeof (value as { child?: unknown }).child === 'function'
}
