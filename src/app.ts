/** Builds the whole app without listening; the domain inside it comes from createServices, as the CLIs' does. */
import Fastify, { type FastifyBaseLogger, type FastifyServerOptions } from 'fastify'
import cookie from '@fastify/cookie'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { parseTrustProxy, type Config } from './config.js'
import { packageVersion } from './version.js'
import type { OpenDatabase } from './db/create-database.js'
import configPlugin from '../plugins/config.js'
import secretBox from '../plugins/secret-box.js'
import gracefulClose from '../plugins/graceful-close.js'
import tracing from '../plugins/tracing.js'
import validation from '../plugins/validation.js'
import errorsPlugin, { sendProblem, toAppError } from '../plugins/errors.js'
import security from '../plugins/security.js'
import metrics from '../plugins/metrics.js'
import db from '../plugins/db.js'
import store from '../plugins/store.js'
import tokens from '../plugins/tokens.js'
import mail from '../plugins/mail.js'
import services from '../plugins/services.js'
import auth from '../plugins/auth.js'
import permissions from '../plugins/permissions.js'
import rateLimit from '../plugins/rate-limit.js'
import swagger from '../plugins/swagger.js'
import authRoutes from '../routes/auth/index.js'
import tokenRoute from '../routes/auth/token.js'
import passwordRoutes from '../routes/auth/password.js'
import userRoutes from '../routes/users/index.js'
import adminUserRoutes from '../routes/users/admin.js'
import roleRoutes from '../routes/roles/index.js'
import healthRoutes from '../routes/health/index.js'
import metaRoutes from '../routes/meta/index.js'
import metricsRoutes from '../routes/metrics/index.js'
import { Problem } from '../schemas/problem.js'
import { User } from '../schemas/user.js'
import { Session } from '../schemas/auth.js'
import { Role } from '../schemas/role.js'

export interface BuildOptions {
  config: Config
  /** A logger instance or options; defaults to pino at `LOG_LEVEL` with secrets redacted. */
  logger?: FastifyServerOptions['logger'] | FastifyBaseLogger
  /** An already opened database instead of the one `DATABASE_URL` names. */
  database?: OpenDatabase
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
  '*.token'
]

export async function buildApp ({ config, logger, database }: BuildOptions) {
  const loggerOption = logger ?? { level: config.LOG_LEVEL, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }
  const app = Fastify({
    ...(isLoggerInstance(loggerOption) ? { loggerInstance: loggerOption } : { logger: loggerOption }),
    trustProxy: parseTrustProxy(config.TRUST_PROXY),
    bodyLimit: config.BODY_LIMIT,
    return503OnClosing: true,
    // The embedded database runs initdb on first start, which can take well over Fastify's default 10 s.
    pluginTimeout: 120_000,
    // A URL with a broken percent-escape never reaches a route or the error handler: answer it here.
    frameworkErrors: (err, _request, reply) => { sendProblem(reply, toAppError(err)) },
    routerOptions: { maxParamLength: 200 }
  }).withTypeProvider<TypeBoxTypeProvider>()
  const version = packageVersion()

  try {
    await app.register(configPlugin, { config })
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

    await app.register(db, { database })
    await app.register(store)
    await app.register(secretBox)
    await app.register(tokens)
    await app.register(mail)
    await app.register(services)
    await app.register(auth)
    await app.register(permissions)
    await app.register(rateLimit)
    await app.register(swagger, { version })

    await app.register(metaRoutes, { version })
    await app.register(healthRoutes, { version })
    await app.register(metricsRoutes)
    await app.register(async (api) => {
      await api.register(authRoutes, { prefix: '/auth' })
      await api.register(tokenRoute, { prefix: '/auth' })
      await api.register(passwordRoutes, { prefix: '/auth' })
      await api.register(userRoutes, { prefix: '/users' })
      await api.register(adminUserRoutes, { prefix: '/users' })
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
