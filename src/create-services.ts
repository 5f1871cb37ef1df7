/**
 * The one place the domain is wired: every service, built from the configuration and the
 * infrastructure it runs on, with no Fastify in sight. The app decorates the result
 * (plugins/services.ts); the command line and the tests build the same object.
 *
 * A new capability adds its infrastructure to `ServiceDeps` (an optional field while only some
 * callers have it) and its service to the object `createServices` answers.
 */
import type { Tracer } from '@opentelemetry/api'
import type { Kysely } from 'kysely'
import { hashConcurrency, revocationTtlSeconds, type Config } from './config.js'
import type { Database } from './db/types.js'
import { createAccountService } from './services/accounts.js'
import { createAdminUserService } from './services/admin-users.js'
import { createAuditLog } from './services/audit.js'
import { createAuthService } from './services/auth.js'
import type { BackgroundTasks } from './services/background.js'
import { loadCommonPasswords } from './services/common-passwords.js'
import { createForgotPasswordLimiter } from './services/forgot-password-limiter.js'
import { createLoginThrottle, withLoginThrottle } from './services/login-throttle.js'
import type { Mailer } from './services/mail.js'
import { createPasswordHasher } from './services/password-hasher.js'
import type { PasswordPolicy } from './services/password-policy.js'
import { createRoleService } from './services/roles.js'
import { createSessionService } from './services/sessions.js'
import type { AccessTokens } from './services/tokens.js'
import { createUserService } from './services/users.js'
import type { CounterStore } from './stores/counter-store.js'
import type { RevocationStore } from './stores/revocation-store.js'
import { traced } from './tracing/spans.js'

/** What the services log through: pino's shape, which Fastify's logger has. */
export interface ServiceLogger {
  info: (details: object, message: string) => void
  warn: (details: object, message: string) => void
  error: (details: object, message: string) => void
}

/** The infrastructure the domain runs on, opened and closed by the caller. */
export interface ServiceDeps {
  db: Kysely<Database>
  revocations: RevocationStore
  counters: CounterStore
  mailer: Mailer
  /** Work off the caller's path (mail, audit rows); its owner drains it before closing the database. */
  background: BackgroundTasks
  accessTokens: AccessTokens
  logger: ServiceLogger
  /** With tracing on, password hashing runs in spans of its own. */
  tracer?: Tracer | undefined
}

export async function createServices (config: Config, deps: ServiceDeps) {
  const { db, revocations, counters, mailer, background, accessTokens, logger, tracer } = deps
  const revocationTtl = revocationTtlSeconds(config)

  const audit = createAuditLog(db, background)
  const hasher = createPasswordHasher({
    memoryCost: config.ARGON2_MEMORY_KIB,
    timeCost: config.ARGON2_TIME_COST,
    parallelism: config.ARGON2_PARALLELISM
  }, hashConcurrency(config))
  const passwords = tracer === undefined ? hasher : traced(tracer, 'argon2', hasher, ['hash', 'verify', 'verifyDummy'])
  const passwordPolicy: PasswordPolicy = { minLength: config.PASSWORD_MIN_LENGTH, common: await loadCommonPasswords() }

  const users = createUserService({ db, revocations, cacheSize: config.USER_CACHE_SIZE, versionTtlSeconds: config.SESSION_MAX_AGE })
  const sessions = createSessionService(db, revocations, {
    refreshTtlSeconds: config.REFRESH_TOKEN_TTL,
    sessionMaxAgeSeconds: config.SESSION_MAX_AGE,
    reuseGraceSeconds: config.REFRESH_REUSE_GRACE_SECONDS,
    revocationTtlSeconds: revocationTtl
  })
  const roles = createRoleService({
    db,
    ttlSeconds: config.ROLES_CACHE_TTL,
    usersChanged: async (userIds) => { await Promise.all(userIds.map((id) => users.changed(id))) },
    onReloadError: (err) => logger.warn({ err }, 'reloading the roles failed; still using the previous ones')
  })
  await roles.reload()

  const loginThrottle = createLoginThrottle(counters, { max: config.LOGIN_THROTTLE_MAX, windowSeconds: config.LOGIN_THROTTLE_WINDOW },
    (err) => logger.error({ err }, 'login throttle store unavailable: attempt let through'))
  const authService = withLoginThrottle(
    createAuthService({ users, sessions, revocations, hasher: passwords, accessTokens, passwordPolicy, audit }),
    loginThrottle)
  const forgotPasswordLimiter = createForgotPasswordLimiter(counters,
    { max: config.FORGOT_PASSWORD_EMAIL_MAX, windowSeconds: config.FORGOT_PASSWORD_EMAIL_WINDOW },
    (err) => logger.error({ err }, 'forgot-password limit store unavailable: request let through'))

  const accounts = createAccountService({
    db,
    users,
    sessions,
    revocations,
    hasher: passwords,
    policy: passwordPolicy,
    mailer,
    background,
    audit,
    settings: { resetTokenTtlSeconds: config.RESET_TOKEN_TTL, appUrl: config.APP_URL, revocationTtlSeconds: revocationTtl }
  })
  const adminUsers = createAdminUserService({ db, users, sessions, revocations, revocationTtlSeconds: revocationTtl })

  return {
    audit,
    passwords,
    passwordPolicy,
    users,
    sessions,
    roles,
    authService,
    forgotPasswordLimiter,
    accounts,
    adminUsers,
    /** Lets a role reload in flight finish; call before closing `deps`. */
    async idle (): Promise<void> {
      await roles.idle()
    }
  }
}

export type Services = Awaited<ReturnType<typeof createServices>>
