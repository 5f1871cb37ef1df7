/** Every setting of the service, from one TypeBox schema, loaded with env-schema. */
import { availableParallelism } from 'node:os'
import { envSchema } from 'env-schema'
import { Type, type Static } from '@sinclair/typebox'

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
  USER_CACHE_SIZE: Type.Integer({ minimum: 0, default: 10000 }),
  ROLES_CACHE_TTL: Seconds(30),

  SMTP_URL: Type.Optional(Type.String({ pattern: '^smtps?://' })),
  MAIL_FROM: Type.String({ default: 'Auth Service <no-reply@localhost>' }),
  APP_URL: Type.String({ default: 'http://localhost:3000' }),
  RESET_TOKEN_TTL: Seconds(1800),
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
  NOTIFY_IDENTITY_LINKED: Type.Boolean({ default: true })
})

export type Config = Static<typeof ConfigSchema>

export interface LoadConfigOptions {
  /** Also read a `.env` file from the working directory (the server does; tests do not). */
  dotenv?: boolean
}

/** Validates and coerces `env`; throws with every offending key named. */
export function loadConfig (env: Record<string, string | undefined>, options: LoadConfigOptions = {}): Config {
  const defined = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''))
  return envSchema<Config>({
    schema: ConfigSchema,
    data: defined,
    env: false,
    dotenv: options.dotenv ?? false
  })
}

/** The one switch between generating missing secrets into DATA_DIR (with a warning) and refusing to start without them. */
export function requiresConfiguredSecrets (config: Config): boolean {
  return config.NODE_ENV === 'production'
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
  return config.CORS_ORIGINS.split(',').map((o) => o.trim()).filter((o) => o.length > 0)
}

export function hashConcurrency (config: Config): number {
  return config.HASH_CONCURRENCY > 0 ? config.HASH_CONCURRENCY : availableParallelism()
}

/** How long a revocation mark must live: past every access token issued before it, with a minute for clock skew. */
export function revocationTtlSeconds (config: Config): number {
  return config.ACCESS_TOKEN_TTL + 60
}
