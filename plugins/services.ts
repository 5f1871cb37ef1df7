/** Builds the domain services once per app and exposes them as decorators. */
import fp from 'fastify-plugin'
import { hashConcurrency, revocationTtlSeconds } from '../src/config.js'
import { createAccountService, type AccountService } from '../src/services/accounts.js'
import { createAuditLog, type AuditLog } from '../src/services/audit.js'
import { createAuthService, type AuthService } from '../src/services/auth.js'
import { createEmailVerification, type EmailVerification } from '../src/services/email-verification.js'
import { createSignInNotices } from '../src/services/sign-in-notices.js'
import { deleteUnusedResetTokens } from '../src/db/reset-tokens-repository.js'
import { loadCommonPasswords } from '../src/services/common-passwords.js'
import { createLoginThrottle, withLoginThrottle } from '../src/services/login-throttle.js'
import { createForgotPasswordLimiter, type ForgotPasswordLimiter } from '../src/services/forgot-password-limiter.js'
import { createPasswordHasher, type PasswordHasher } from '../src/services/password-hasher.js'
import type { PasswordPolicy } from '../src/services/password-policy.js'
import { createSessionService, type SessionService } from '../src/services/sessions.js'
import { createUserService, type UserService } from '../src/services/users.js'
import { traced } from '../src/tracing/spans.js'

declare module 'fastify' {
  interface FastifyInstance {
    passwords: PasswordHasher
    passwordPolicy: PasswordPolicy
    users: UserService
    sessions: SessionService
    authService: AuthService
    /** The per-email limit of forgot-password: `await app.forgotPasswordLimiter.consume(email)`. */
    forgotPasswordLimiter: ForgotPasswordLimiter
    /** The per-email limit of resend-verification: `await app.resendVerificationLimiter.consume(email)`. */
    resendVerificationLimiter: ForgotPasswordLimiter
    emailVerification: EmailVerification
    accounts: AccountService
    audit: AuditLog
  }
}

export default fp(async (app) => {
  const { config, db, revocations, background } = app
  const audit = createAuditLog(db, background)
  const hasher = createPasswordHasher({
    memoryCost: config.ARGON2_MEMORY_KIB,
    timeCost: config.ARGON2_TIME_COST,
    parallelism: config.ARGON2_PARALLELISM
  }, hashConcurrency(config))
  const passwords = app.tracer === undefined ? hasher : traced(app.tracer, 'argon2', hasher, ['hash', 'verify', 'verifyDummy'])
  const passwordPolicy: PasswordPolicy = { minLength: config.PASSWORD_MIN_LENGTH, common: await loadCommonPasswords() }
  const users = createUserService({ db, revocations, cacheSize: config.USER_CACHE_SIZE, versionTtlSeconds: config.SESSION_MAX_AGE })
  const sessions = createSessionService(db, revocations, {
    refreshTtlSeconds: config.REFRESH_TOKEN_TTL,
    sessionMaxAgeSeconds: config.SESSION_MAX_AGE,
    reuseGraceSeconds: config.REFRESH_REUSE_GRACE_SECONDS,
    revocationTtlSeconds: revocationTtlSeconds(config)
  })
  app.decorate('audit', audit)
  app.decorate('passwords', passwords)
  app.decorate('passwordPolicy', passwordPolicy)
  app.decorate('users', users)
  app.decorate('sessions', sessions)
  const now = () => new Date(app.clock.now())
  const emailVerification = createEmailVerification({
    db,
    users,
    notifier: app.notifier,
    background,
    audit,
    voidResetTokens: (userId) => deleteUnusedResetTokens(db, userId),
    ttlSeconds: config.VERIFY_TOKEN_TTL,
    now
  })
  app.decorate('emailVerification', emailVerification)
  const authService = createAuthService({
    users,
    sessions,
    revocations,
    hasher: passwords,
    accessTokens: app.accessTokens,
    passwordPolicy,
    audit,
    emailVerification,
    signInNotices: createSignInNotices({ db, notifier: app.notifier, background, now }),
    requireVerifiedEmail: config.EMAIL_VERIFICATION === 'required'
  })
  const loginThrottle = createLoginThrottle(app.counters, { max: config.LOGIN_THROTTLE_MAX, windowSeconds: config.LOGIN_THROTTLE_WINDOW },
    (err) => app.log.error({ err }, 'login throttle store unavailable: attempt let through'))
  app.decorate('authService', withLoginThrottle(authService, loginThrottle))
  app.decorate('forgotPasswordLimiter', createForgotPasswordLimiter(app.counters,
    { max: config.FORGOT_PASSWORD_EMAIL_MAX, windowSeconds: config.FORGOT_PASSWORD_EMAIL_WINDOW },
    (err) => app.log.error({ err }, 'forgot-password limit store unavailable: request let through')))
  app.decorate('resendVerificationLimiter', createForgotPasswordLimiter(app.counters, {
    max: config.RESEND_VERIFICATION_EMAIL_MAX,
    windowSeconds: config.RESEND_VERIFICATION_EMAIL_WINDOW,
    scope: { key: 'resend-verification', message: 'Too many verification mails asked for this address.' }
  }, (err) => app.log.error({ err }, 'resend-verification limit store unavailable: request let through')))
  app.decorate('accounts', createAccountService({
    db,
    users,
    sessions,
    revocations,
    hasher: passwords,
    policy: passwordPolicy,
    notifier: app.notifier,
    emailVerification,
    background,
    audit,
    settings: {
      resetTokenTtlSeconds: config.RESET_TOKEN_TTL,
      revocationTtlSeconds: revocationTtlSeconds(config)
    },
    now
  }))
}, { name: 'services', dependencies: ['config', 'clock', 'db', 'store', 'tokens', 'mail', 'tracing'] })
