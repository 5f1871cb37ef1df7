/** Every setting of the service, from one TypeBox schema, loaded with env-schema. */
import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { parseEnv } from 'node:util'
import { envSchema } from 'env-schema'
import { Type, type Static } from '@sinclair/typebox'
import { ConfigError, describeSchemaIssues } from './config-errors.js'
import { configProblems, parseCorsOrigins } from './config-rules.js'
import { gatherOidcProviders, OidcProviderSchema } from './oidc-settings.js'

const Seconds = (defaultValue: number) => Type.Integer({ minimum: 1, default: defaultValue })
const PerMinute = (defaultValue: number) => Type.Integer({ minimum: 1, default: defaultValue })

export const ConfigSchema = Type.Object({
  NODE_ENV: Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')], { default: 'development' }),
  HOST: Type.String({ default: '0.0.0.0' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  LOG_LEVEL: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info' }),
  SHUTDOWN_TIMEOUT: Seconds(10),
  OTEL_EXPORTER_OTLP_ENDPOINT: Type.Optional(Type.String({ pattern: '^https?://' })),
  OTEL_SERVICE_NAME: Type.String({ minLength: 1, default: 'auth-service' }),

  DATABASE_URL: Type.Optional(Type.String({ pattern: '^(postgres(ql)?://|memory://)' })),
  DATA_DIR: Type.String({ default: './data' }),
  DATABASE_POOL_SIZE: Type.Integer({ minimum: 1, default: 10 }),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  REDIS_CLUSTER_NODES: Type.Optional(Type.String({ pattern: '^\\s*[^\\s,:]+:\\d+(\\s*,\\s*[^\\s,:]+:\\d+)*\\s*$' })),
  REDIS_KEY_PREFIX: Type.String({ default: 'auth:' }),
  STARTUP_TIMEOUT: Seconds(10),

  JWT_SECRET: Type.Optional(Type.String()),
  JWT_SECRET_PREVIOUS: Type.Optional(Type.String()),
  // Unset: HS256 when JWT_SECRET is set, else managed EdDSA keys.
  JWT_ALGORITHM: Type.Optional(Type.Union([Type.Literal('HS256'), Type.Literal('EdDSA'), Type.Literal('ES256'), Type.Literal('RS256')])),
  JWT_PRIVATE_KEY: Type.Optional(Type.String()),
  JWT_PUBLIC_KEY: Type.Optional(Type.String()),
  JWT_KEY_ENCRYPTION_KEY: Type.Optional(Type.String()),
  JWT_KEYS_REFRESH: Seconds(60),
  JWKS_MAX_AGE: Seconds(300),
  JWT_KEY_ROTATION_DAYS: Type.Integer({ minimum: 0, default: 0 }),
  INTROSPECTION_CLIENTS: Type.String({ default: '' }),
  JWT_ISSUER: Type.String({ minLength: 1, default: 'auth-service' }),
  JWT_AUDIENCE: Type.String({ minLength: 1, default: 'auth-service' }),
  JWT_CLIENT_ID: Type.String({ minLength: 1, default: 'auth-service' }),
  ACCESS_TOKEN_TTL: Seconds(900),
  REFRESH_TOKEN_TTL: Seconds(604800),
  SESSION_MAX_AGE: Seconds(2592000),
  REFRESH_REUSE_GRACE_SECONDS: Type.Integer({ minimum: 0, default: 10 }),

  COOKIE_SECURE: Type.Boolean({ default: true }),
  COOKIE_SAMESITE: Type.Union([Type.Literal('strict'), Type.Literal('lax'), Type.Literal('none')], { default: 'strict' }),
  CORS_ORIGINS: Type.String({ default: '' }),
  TRUST_PROXY: Type.String({ default: 'false' }),
  BODY_LIMIT: Type.Integer({ minimum: 1024, default: 16384 }),

  RATE_LIMIT_MAX: PerMinute(60),
  RATE_LIMIT_REGISTER_MAX: PerMinute(5),
  RATE_LIMIT_LOGIN_MAX: PerMinute(10),
  RATE_LIMIT_REFRESH_MAX: PerMinute(20),
  RATE_LIMIT_FORGOT_MAX: PerMinute(5),
  LOGIN_THROTTLE_MAX: Type.Integer({ minimum: 1, default: 5 }),
  LOGIN_THROTTLE_WINDOW: Seconds(900),
  FORGOT_PASSWORD_EMAIL_MAX: Type.Integer({ minimum: 1, default: 3 }),
  FORGOT_PASSWORD_EMAIL_WINDOW: Seconds(3600),

  PASSWORD_MIN_LENGTH: Type.Integer({ minimum: 8, maximum: 128, default: 8 }),
  ARGON2_MEMORY_KIB: Type.Integer({ minimum: 1024, default: 19456 }),
  ARGON2_TIME_COST: Type.Integer({ minimum: 1, default: 2 }),
  ARGON2_PARALLELISM: Type.Integer({ minimum: 1, default: 1 }),
  HASH_CONCURRENCY: Type.Integer({ minimum: 0, default: 0 }),
  HASH_QUEUE_MAX: Type.Integer({ minimum: 0, default: 0 }),
  USER_CACHE_SIZE: Type.Integer({ minimum: 0, default: 10000 }),
  USER_CACHE_TTL: Seconds(60),
  ROLES_CACHE_TTL: Seconds(30),

  SMTP_URL: Type.Optional(Type.String({ pattern: '^smtps?://' })),
  MAIL_LOG: Type.Boolean({ default: false }),
  MAIL_FROM: Type.String({ default: 'Auth Service <no-reply@localhost>' }),
  APP_URL: Type.String({ default: 'http://localhost:3000' }),
  RESET_TOKEN_TTL: Seconds(1800),
  TOKEN_RETENTION_DAYS: Type.Integer({ minimum: 1, default: 7 }),
  AUDIT_RETENTION_DAYS: Type.Integer({ minimum: 1, default: 90 }),
  RETENTION_INTERVAL: Seconds(3600),
  EMAIL_VERIFICATION: Type.Union([Type.Literal('optional'), Type.Literal('required')], { default: 'optional' }),
  VERIFY_TOKEN_TTL: Seconds(86400),
  RATE_LIMIT_VERIFY_EMAIL_MAX: PerMinute(10),
  RATE_LIMIT_RESEND_VERIFICATION_MAX: PerMinute(5),
  RESEND_VERIFICATION_EMAIL_MAX: Type.Integer({ minimum: 1, default: 3 }),
  RESEND_VERIFICATION_EMAIL_WINDOW: Seconds(3600),
  MAIL_TEMPLATES_DIR: Type.Optional(Type.String({ minLength: 1 })),
  NOTIFY_EMAIL_CHANGE_REQUESTED: Type.Boolean({ default: true }),
  NOTIFY_PASSWORD_CHANGED: Type.Boolean({ default: true }),
  NOTIFY_NEW_SIGN_IN: Type.Boolean({ default: true }),
  NOTIFY_MFA_CHANGED: Type.Boolean({ default: true }),
  NOTIFY_IDENTITY_LINKED: Type.Boolean({ default: true }),

  WEBAUTHN_RP_ID: Type.Optional(Type.String({ minLength: 1, maxLength: 253 })),
  WEBAUTHN_RP_NAME: Type.String({ minLength: 1, maxLength: 64, default: 'auth-service' }),
  WEBAUTHN_ORIGINS: Type.Optional(Type.String({ minLength: 1 })),
  // Unset, these follow NODE_ENV: on outside production, off in it (see loadConfig).
  /** Generate a missing JWT_SECRET or JWT_KEY_ENCRYPTION_KEY into DATA_DIR instead of refusing to start. */
  GENERATE_MISSING_SECRETS: Type.Optional(Type.Boolean()),
  /** Without SMTP_URL, log the bodies of mails too (a logged reset link is a working credential). */
  LOG_MAIL_BODIES: Type.Optional(Type.Boolean()),
  PUBLIC_URL: Type.String({ pattern: '^https?://', default: 'http://localhost:3000' }),
  OIDC_PROVIDERS: Type.String({ default: '' }),
  OAUTH_REDIRECT_URIS: Type.String({ default: '' }),
  OIDC_ALLOW_INSECURE_HTTP: Type.Boolean({ default: false }),
  OIDC_REFETCH_INTERVAL: Type.Integer({ minimum: 0, default: 5 }),
  /** Not an environment variable: gathered from `OIDC_PROVIDERS` and `OIDC_<NAME>_*` by `loadConfig`. */
  oidc_providers: Type.Array(OidcProviderSchema, { default: [] })
})

/** The settings whose default NODE_ENV=production makes strict. */
type ProductionStrict = 'GENERATE_MISSING_SECRETS' | 'LOG_MAIL_BODIES'

export type Config = Omit<Static<typeof ConfigSchema>, ProductionStrict> & Record<ProductionStrict, boolean>

export interface LoadConfigOptions {
  /** Also read a `.env` file from the working directory (the server does; tests do not). */
  dotenv?: boolean
}

/** Validates and coerces `env`; throws a ConfigError with one line per offending setting. */
export function loadConfig (env: Record<string, string | undefined>, options: LoadConfigOptions = {}): Config {
  const defined = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''))
  let loaded: Static<typeof ConfigSchema>
  try {
    loaded = envSchema<Static<typeof ConfigSchema>>({
      schema: ConfigSchema,
      // Provider settings have names of their own (`OIDC_<NAME>_*`), so they are gathered from every source first.
      data: { ...defined, oidc_providers: gatherOidcProviders(options.dotenv === true ? { ...dotenvFile(), ...defined } : defined) },
      env: false,
      dotenv: options.dotenv ?? false
    })
  } catch (err) {
    const issues = (err as { errors?: unknown }).errors
    if (!Array.isArray(issues)) throw err
    throw new ConfigError(describeSchemaIssues(issues, ConfigSchema, options.dotenv === true ? { ...process.env, ...defined } : defined))
  }
  // The only place NODE_ENV decides anything: the defaults of the settings a production must have strict.
  const lenient = loaded.NODE_ENV !== 'production'
  const config: Config = {
    ...loaded,
    GENERATE_MISSING_SECRETS: loaded.GENERATE_MISSING_SECRETS ?? lenient,
    LOG_MAIL_BODIES: loaded.LOG_MAIL_BODIES ?? lenient
  }
  const problems = configProblems(config)
  if (problems.length > 0) throw new ConfigError(problems)
  return config
}

function dotenvFile (): Record<string, string | undefined> {
  try {
    return parseEnv(readFileSync('.env', 'utf8'))
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return {}
    throw err
  }
}

/** Whether a missing secret stops the start instead of being generated into DATA_DIR (with a warning). */
export function requiresConfiguredSecrets (config: Config): boolean {
  return !config.GENERATE_MISSING_SECRETS
}

export type TrustProxy = boolean | string | ((address: string, hop: number) => boolean)

/** Fastify's `trustProxy`: `true`/`false`, a hop count, or a comma-separated list of addresses or CIDRs. */
export function parseTrustProxy (value: string): TrustProxy {
  const v = value.trim().toLowerCase()
  if (v === 'true') return true
  if (v === 'false' || v === '') return false
  if (/^\d+$/.test(v)) {
    const hops = Number(v)
    return (_address, hop) => hop < hops
  }
  return value
}

export function corsOrigins (config: Config): string[] {
  return parseCorsOrigins(config.CORS_ORIGINS).origins
}

export function hashConcurrency (config: Config): number {
  return config.HASH_CONCURRENCY > 0 ? config.HASH_CONCURRENCY : availableParallelism()
}

/** Hashes allowed to wait for a turn before a request needing one answers 503; 0 means 64 per core. */
export function hashQueueMax (config: Config): number {
  return config.HASH_QUEUE_MAX > 0 ? config.HASH_QUEUE_MAX : 64 * availableParallelism()
}

export interface WebAuthnSettings {
  rpId: string
  rpName: string
  origins: string[]
}

/**
 * The relying party of passkeys: its ID defaults to the host of `APP_URL` and its one origin to
 * the origin of `APP_URL`, the page that runs the ceremonies in the common one-site deployment.
 */
export function webauthnSettings (config: Config): WebAuthnSettings {
  const appUrl = new URL(config.APP_URL)
  const origins = config.WEBAUTHN_ORIGINS === undefined
    ? [appUrl.origin]
    : config.WEBAUTHN_ORIGINS.split(',').map((o) => o.trim()).filter((o) => o.length > 0)
  for (const origin of origins) {
    // A browser reports `https://host[:port]` exactly; a trailing slash or path would never match.
    // Other schemes (an Android app's `android:apk-key-hash:…`) are taken as written.
    if (/^https?:/i.test(origin) && URL.parse(origin)?.origin !== origin) {
      throw new Error(`WEBAUTHN_ORIGINS: ${origin} is not an origin such as https://app.example.com`)
    }
  }
  return { rpId: config.WEBAUTHN_RP_ID ?? appUrl.hostname, rpName: config.WEBAUTHN_RP_NAME, origins }
}

/** How long a revocation mark must live: past every access token issued before it, with a minute for clock skew. */
export function revocationTtlSeconds (config: Config): number {
  return config.ACCESS_TOKEN_TTL + 60
}
