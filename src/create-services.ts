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
import { hashConcurrency, hashQueueMax, revocationTtlSeconds, webauthnSettings, type Config } from './config.js'
import type { Database } from './db/types.js'
import { createAccountService } from './services/accounts.js'
import { createAdminUserService } from './services/admin-users.js'
import { createAuditLog } from './services/audit.js'
import { createAuthService } from './services/auth.js'
import { setEmailVerified } from './db/email-verifications-repository.js'
import { deleteUnusedResetTokens } from './db/reset-tokens-repository.js'
import { loadMailTemplates } from './mail/templates.js'
import { createEmailVerification } from './services/email-verification.js'
import { createNotifier, noticeSwitches, productName } from './services/notifier.js'
import { createSignInNotices } from './services/sign-in-notices.js'
import type { BackgroundTasks } from './services/background.js'
import { loadCommonPasswords } from './services/common-passwords.js'
import { createForgotPasswordLimiter } from './services/forgot-password-limiter.js'
import { createLoginThrottle } from './services/login-throttle.js'
import { createPasswordRecheck } from './services/password-recheck.js'
import type { Mailer } from './services/mail.js'
import { createPasswordHasher } from './services/password-hasher.js'
import type { PasswordPolicy } from './services/password-policy.js'
import { createPasskeyChallenges } from './services/passkey-challenges.js'
import { createPasskeySignIn } from './services/passkey-sign-in.js'
import { createPasskeyService } from './services/passkeys.js'
import { createRoleService } from './services/roles.js'
import { createSessionService } from './services/sessions.js'
import type { AccessTokens } from './services/tokens.js'
import { createUserService } from './services/users.js'
import { createWebAuthn } from './services/webauthn.js'
import type { Clock } from './clock.js'
import { createMfaRepository } from './db/mfa-repository.js'
import { createMfaTokens } from './services/mfa-tokens.js'
import { createSecondFactors } from './services/second-factors.js'
import { createSignIn } from './services/sign-in.js'
import { createMfaServices } from './services/mfa.js'
import type { FactorChange } from './services/mfa-enrollment.js'
import type { Notifier } from './services/notifier.js'
import type { SecretBox } from './services/secret-box.js'
import type { CounterStore } from './stores/counter-store.js'
import type { EphemeralStore } from './stores/ephemeral-store.js'
import type { RevocationStore } from './stores/revocation-store.js'
import { traced } from './tracing/spans.js'

/** What the services log through: pino's shape, which Fastify's logger has. */
export interface ServiceLogger {
  info: (details: object, message: string) => void
  warn: (details: object, message: string) => void
  error: (details: object, message: string) => void
  debug?: (details: object, message: string) => void
}

/** The infrastructure the domain runs on, opened and closed by the caller. */
export interface ServiceDeps {
  db: Kysely<Database>
  revocations: RevocationStore
  counters: CounterStore
  /** Single-use values every instance sees: the `mfa_token`s and passkey challenges. */
  ephemeral: EphemeralStore
  /** The time TOTP steps and mfa_token lifetimes are judged by; the system clock when absent. */
  clock?: Clock | undefined
  /** Seals TOTP secrets at rest. */
  secretBox: SecretBox
  /** Mails the notices (`mfa-changed`); the command line sends none. */
  notifier?: Notifier | undefined
  mailer: Mailer
  /** Work off the caller's path (mail, audit rows); its owner drains it before closing the database. */
  background: BackgroundTasks
  accessTokens: AccessTokens
  logger: ServiceLogger
  /** With tracing on, password hashing runs in spans of its own. */
  tracer?: Tracer | undefined
}

/** API.md: an `mfa_token` lives 5 minutes and survives 5 wrong codes. */
const MFA_TOKEN_TTL_SECONDS = 300
const MFA_TOKEN_MAX_ATTEMPTS = 5

const FACTOR_NAMES: Record<FactorChange, string> = { enabled: 'Authenticator app', disabled: 'Authenticator app', recovery_codes: 'Recovery codes' }
const FACTOR_ACTIONS = { enabled: 'added', disabled: 'removed', recovery_codes: 'regenerated' } as const

export async function createServices (config: Config, deps: ServiceDeps) {
  const { db, revocations, counters, ephemeral, mailer, background, accessTokens, logger, tracer } = deps
  const clock = deps.clock ?? { now: Date.now }
  const revocationTtl = revocationTtlSeconds(config)

  const now = () => new Date(clock.now())
  const audit = createAuditLog(db, background)
  const notifier = createNotifier({
    mailer,
    templates: loadMailTemplates(config.MAIL_TEMPLATES_DIR, { warn: (message) => logger.warn({}, message) }),
    background,
    settings: { appUrl: config.APP_URL, appName: productName(config.MAIL_FROM, config.APP_URL), notices: noticeSwitches(config) },
    now
  })
  const hasher = createPasswordHasher({
    memoryCost: config.ARGON2_MEMORY_KIB,
    timeCost: config.ARGON2_TIME_COST,
    parallelism: config.ARGON2_PARALLELISM
  }, hashConcurrency(config), hashQueueMax(config))
  const passwords = tracer === undefined ? hasher : traced(tracer, 'argon2', hasher, ['hash', 'verify', 'verifyDummy'])
  const passwordPolicy: PasswordPolicy = { minLength: config.PASSWORD_MIN_LENGTH, common: await loadCommonPasswords() }

  const users = createUserService({
    db, revocations, cacheSize: config.USER_CACHE_SIZE, versionTtlSeconds: config.SESSION_MAX_AGE, cacheTtlSeconds: config.USER_CACHE_TTL
  })
  const sessions = createSessionService(db, revocations, {
    refreshTtlSeconds: config.REFRESH_TOKEN_TTL,
    sessionMaxAgeSeconds: config.SESSION_MAX_AGE,
    reuseGraceSeconds: config.REFRESH_REUSE_GRACE_SECONDS,
    revocationTtlSeconds: revocationTtl
  }, () => clock.now())
  const roles = createRoleService({
    db,
    ttlSeconds: config.ROLES_CACHE_TTL,
    usersChanged: async (userIds) => { await Promise.all(userIds.map((id) => users.changed(id))) },
    onReloadError: (err) => logger.warn({ err }, 'reloading the roles failed; still using the previous ones'),
    now: () => clock.now()
  })
  await roles.reload()

  const mfaRepository = createMfaRepository(db)
  const mfaTokens = createMfaTokens(ephemeral, counters, clock, { ttlSeconds: MFA_TOKEN_TTL_SECONDS, maxAttempts: MFA_TOKEN_MAX_ATTEMPTS })
  const secondFactors = createSecondFactors(mfaRepository)
  /**
   * The step after a verified first factor, for every sign-in path:
   * `await signIn.complete(userId, ['pwd'], origin)` answers the session or throws `mfa_required`.
   */
  const signInNotices = createSignInNotices({ db, notifier, background, now })
  const signIn = createSignIn({
    sessions, accessTokens, mfaTokens, secondFactorsOf: (userId) => secondFactors.of(userId), audit, sessionStarted: signInNotices.sessionStarted
  })
  const emailVerification = createEmailVerification({
    db,
    users,
    notifier,
    background,
    audit,
    voidResetTokens: (userId) => deleteUnusedResetTokens(db, userId),
    ttlSeconds: config.VERIFY_TOKEN_TTL,
    now
  })

  const throttle = createLoginThrottle(counters, { max: config.LOGIN_THROTTLE_MAX, windowSeconds: config.LOGIN_THROTTLE_WINDOW },
    (err) => logger.error({ err }, 'login throttle store unavailable: attempt let through'))
  /** Confirms a signed-in user's password before a sensitive change; wrong ones count as failed logins. */
  const passwordRecheck = createPasswordRecheck(passwords, throttle)
  const authService = createAuthService({
    users,
    sessions,
    signIn,
    revocations,
    hasher: passwords,
    accessTokens,
    passwordPolicy,
    audit,
    throttle,
    emailVerification,
    requireVerifiedEmail: config.EMAIL_VERIFICATION === 'required'
  })
  const mfa = createMfaServices({
    db,
    repository: mfaRepository,
    users,
    hasher: passwords,
    secretBox: deps.secretBox,
    clock,
    throttle,
    audit,
    mfaTokens,
    signIn,
    // The issuer an authenticator app lists the account under: the product name the mails use too.
    serviceName: productName(config.MAIL_FROM, config.APP_URL),
    async onFactorsChanged (account, change, origin) {
      // GET /users/me shows `mfa_enabled`: cached copies of the user go stale.
      await users.changed(account.id)
      deps.notifier?.send('mfa-changed', account, { action: FACTOR_ACTIONS[change], factor: FACTOR_NAMES[change], origin })
    }
  })
  const forgotPasswordLimiter = createForgotPasswordLimiter(counters,
    { max: config.FORGOT_PASSWORD_EMAIL_MAX, windowSeconds: config.FORGOT_PASSWORD_EMAIL_WINDOW },
    (err) => logger.error({ err }, 'forgot-password limit store unavailable: request let through'))
  const resendVerificationLimiter = createForgotPasswordLimiter(counters, {
    max: config.RESEND_VERIFICATION_EMAIL_MAX,
    windowSeconds: config.RESEND_VERIFICATION_EMAIL_WINDOW,
    scope: { key: 'resend-verification', message: 'Too many verification mails asked for this address.' }
  }, (err) => logger.error({ err }, 'resend-verification limit store unavailable: request let through'))

  const accounts = createAccountService({
    db,
    users,
    sessions,
    revocations,
    hasher: passwords,
    recheck: passwordRecheck,
    policy: passwordPolicy,
    notifier,
    emailVerification,
    background,
    audit,
    stepUp: (account, mfaCode, origin) => mfa.secondFactor.requireStepUp(account, mfaCode, origin),
    settings: { resetTokenTtlSeconds: config.RESET_TOKEN_TTL, revocationTtlSeconds: revocationTtl },
    now
  })
  const adminUsers = createAdminUserService({ db, users, sessions, revocations, revocationTtlSeconds: revocationTtl })

  const passkeyParts = {
    db,
    // A refused response is the client's problem, not ours: worth a debug line for whoever wires up a front end.
    webauthn: createWebAuthn(webauthnSettings(config), (detail) => logger.debug?.({ detail }, 'passkey response refused')),
    challenges: createPasskeyChallenges(ephemeral, () => clock.now()),
    audit
  }
  const passkeys = createPasskeyService({ ...passkeyParts, users })
  const passkeySignIn = createPasskeySignIn({ ...passkeyParts, signIn })

  return {
    audit,
    passwords,
    passwordPolicy,
    users,
    sessions,
    roles,
    authService,
    forgotPasswordLimiter,
    resendVerificationLimiter,
    notifier,
    emailVerification,
    /** For the command line: the operator vouches for an address by naming it. */
    markEmailVerified: (userId: string) => setEmailVerified(db, userId, true, now()),
    accounts,
    passwordRecheck,
    adminUsers,
    passkeys,
    passkeySignIn,
    mfaRepository,
    mfaTokens,
    secondFactors,
    signIn,
    /** Checks a TOTP or recovery code; `requireStepUp` guards the sensitive changes of an account with MFA on. */
    secondFactor: mfa.secondFactor,
    mfaEnrollment: mfa.enrollment,
    mfaLogin: mfa.login,
    /** Lets a role reload in flight finish; call before closing `deps`. */
    async idle (): Promise<void> {
      await roles.idle()
    }
  }
}

export type Services = Awaited<ReturnType<typeof createServices>>
