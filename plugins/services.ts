/** Builds the domain services once per app and exposes them as decorators. */
import fp from 'fastify-plugin'
import { hashConcurrency, revocationTtlSeconds } from '../src/config.js'
import { createAuthService, type AuthService } from '../src/services/auth.js'
import { createLoginThrottle, withLoginThrottle } from '../src/services/login-throttle.js'
import { createForgotPasswordLimiter, type ForgotPasswordLimiter } from '../src/services/forgot-password-limiter.js'
import { createPasswordHasher, type PasswordHasher } from '../src/services/password-hasher.js'
import { createSessionService, type SessionService } from '../src/services/sessions.js'
import { createUserService, type UserService } from '../src/services/users.js'

declare module 'fastify' {
  interface FastifyInstance {
    passwords: PasswordHasher
    users: UserService
    sessions: SessionService
    authService: AuthService
    /** The per-email limit of forgot-password: `await app.forgotPasswordLimiter.consume(email)`. */
    forgotPasswordLimiter: ForgotPasswordLimiter
  }
}

export default fp(async (app) => {
  const { config, db, revocations } = app
  const passwords = createPasswordHasher({
    memoryCost: config.ARGON2_MEMORY_KIB,
    timeCost: config.ARGON2_TIME_COST,
    parallelism: config.ARGON2_PARALLELISM
  }, hashConcurrency(config))
  const users = createUserService({ db, revocations, cacheSize: config.USER_CACHE_SIZE, versionTtlSeconds: config.SESSION_MAX_AGE })
  const sessions = createSessionService(db, revocations, {
    refreshTtlSeconds: config.REFRESH_TOKEN_TTL,
    sessionMaxAgeSeconds: config.SESSION_MAX_AGE,
    reuseGraceSeconds: config.REFRESH_REUSE_GRACE_SECONDS,
    revocationTtlSeconds: revocationTtlSeconds(config)
  })
  app.decorate('passwords', passwords)
  app.decorate('users', users)
  app.decorate('sessions', sessions)
  const authService = createAuthService({
    users, sessions, revocations, hasher: passwords, accessTokens: app.accessTokens, passwordMinLength: config.PASSWORD_MIN_LENGTH
  })
  const loginThrottle = createLoginThrottle(app.counters, { max: config.LOGIN_THROTTLE_MAX, windowSeconds: config.LOGIN_THROTTLE_WINDOW },
    (err) => app.log.error({ err }, 'login throttle store unavailable: attempt let through'))
  app.decorate('authService', withLoginThrottle(authService, loginThrottle))
  app.decorate('forgotPasswordLimiter', createForgotPasswordLimiter(app.counters,
    { max: config.FORGOT_PASSWORD_EMAIL_MAX, windowSeconds: config.FORGOT_PASSWORD_EMAIL_WINDOW },
    (err) => app.log.error({ err }, 'forgot-password limit store unavailable: request let through')))
}, { name: 'services', dependencies: ['config', 'db', 'store', 'tokens'] })
