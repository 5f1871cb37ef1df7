/**
 * `npm run create-admin -- --email E --username U --password P`: creates an admin account, or
 * gives `admin` to the live account with that email. Same rules as the API; a thin shell over the services.
 */
import { setEmailVerified } from '../db/email-verifications-repository.js'
import { parseArgs } from 'node:util'
import { Ajv } from 'ajv'
import addFormatsModule from 'ajv-formats'
import type { TSchema } from '@sinclair/typebox'
import { Redis } from 'ioredis'
import { loadConfig, revocationTtlSeconds as revocationTtl, type Config } from '../config.js'
import { createDatabase } from '../db/create-database.js'
import { migrateToLatest } from '../db/migrate.js'
import { AppError, DependencyError } from '../errors.js'
import { createAdminUserService } from '../services/admin-users.js'
import { createPasswordHasher } from '../services/password-hasher.js'
import { passwordProblem, type PasswordPolicy } from '../services/password-policy.js'
import { loadCommonPasswords } from '../services/common-passwords.js'
import { createSessionService } from '../services/sessions.js'
import { createUserService } from '../services/users.js'
import { createMemoryRevocationStore } from '../stores/memory-revocation-store.js'
import { createRedisRevocationStore } from '../stores/redis-revocation-store.js'
import type { RevocationStore } from '../stores/revocation-store.js'
import { Email, Password, Username } from '../../schemas/common.js'

// ajv-formats is CommonJS with a default export; under NodeNext the callable sits on `.default`.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default

export const EXIT_OK = 0
export const EXIT_FAILED = 1
export const EXIT_USAGE = 2

export const USAGE = `Usage: npm run create-admin -- --email <email> [--username <username> --password <password>]

Creates an admin account, or gives the admin role to the live account with that email
(reactivating it if it was deactivated). --username and --password are needed to create one.
Uses DATABASE_URL, or the embedded database in DATA_DIR: stop the server first.`

export interface Output {
  log: (message: string) => void
  error: (message: string) => void
}

export interface CommandOptions {
  env: Record<string, string | undefined>
  /** Also read `.env` from the working directory, as the server does. */
  dotenv?: boolean
  out?: Output
}

class UsageError extends Error {}

interface Input {
  email: string
  username: string | undefined
  password: string | undefined
}

function parseInput (args: string[], policy: PasswordPolicy): Input | 'help' {
  let values
  try {
    values = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        email: { type: 'string' },
        username: { type: 'string' },
        password: { type: 'string' },
        help: { type: 'boolean', short: 'h' }
      }
    }).values
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err))
  }
  if (values.help === true) return 'help'
  const { email, username, password } = values
  if (email === undefined) throw new UsageError('--email is required.')

  const ajv = addFormats(new Ajv({ strict: false }))
  const check = (schema: TSchema, value: string | undefined, problem: string): void => {
    if (value !== undefined && !ajv.validate(schema, value)) throw new UsageError(problem)
  }
  check(Email, email, `--email: "${email}" is not a valid email address.`)
  check(Username, username, '--username: 3-32 characters of A-Z a-z 0-9 _ . -')
  check(Password, password, '--password: give 1-512 characters.')
  if (password !== undefined) {
    const problem = passwordProblem(password, policy, { email, ...(username === undefined ? {} : { username }) })
    if (problem !== null) throw new UsageError(`--password: ${problem}`)
  }
  return { email, username, password }
}

async function openStore (config: Config): Promise<{ store: RevocationStore, close: () => Promise<void> }> {
  if (config.REDIS_URL === undefined) {
    const store = createMemoryRevocationStore()
    return { store, close: () => store.close() }
  }
  // Running servers cache profiles by a version kept in Redis; bumping it is how they learn of the change,
  // so an unreachable Redis stops the command before anything is changed.
  const redis = new Redis(config.REDIS_URL, {
    keyPrefix: config.REDIS_KEY_PREFIX, lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2000, retryStrategy: () => null
  })
  let lastError: unknown
  redis.on('error', (err) => { lastError = err })
  try {
    await redis.connect()
  } catch (err) {
    redis.disconnect()
    throw new DependencyError('redis', lastError ?? err)
  }
  return { store: createRedisRevocationStore(redis), close: async () => { redis.disconnect() } }
}

function describe (err: unknown): string {
  if (err instanceof DependencyError) {
    return `the change was saved, but ${err.dependency} could not be told (${String(err.cause)}); ` +
      'running servers may show the account\'s old roles on GET /users/me until it changes again.'
  }
  if (err instanceof AppError) return err.message
  return `failed: ${err instanceof Error ? err.message : String(err)}`
}

/** Runs the command and answers its exit code. */
export async function createAdminCommand (args: string[], { env, dotenv = false, out = console }: CommandOptions): Promise<number> {
  let config: Config
  let input: Input | 'help'
  try {
    config = loadConfig(env, { dotenv })
    input = parseInput(args, { minLength: config.PASSWORD_MIN_LENGTH, common: await loadCommonPasswords() })
  } catch (err) {
    out.error(`create-admin: ${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`)
    return EXIT_USAGE
  }
  if (input === 'help') {
    out.log(USAGE)
    return EXIT_OK
  }

  let opened
  try {
    opened = await openStore(config)
  } catch (err) {
    out.error(`create-admin: cannot reach Redis (${String(err instanceof DependencyError ? err.cause : err)}); nothing was changed.`)
    return EXIT_FAILED
  }
  const { store, close } = opened
  let database
  try {
    database = await createDatabase(config, (err) => out.error(`create-admin: database connection lost: ${err.message}`))
  } catch (err) {
    // Most often the embedded database held by a running server.
    out.error(`create-admin: ${err instanceof Error ? err.message : String(err)}`)
    await close()
    return EXIT_FAILED
  }
  const { db, kind, close: closeDatabase } = database
  try {
    await migrateToLatest(db)
    const revocationTtlSeconds = revocationTtl(config)
    const users = createUserService({ db, revocations: store, cacheSize: 0, versionTtlSeconds: config.SESSION_MAX_AGE })
    const sessions = createSessionService(db, store, {
      refreshTtlSeconds: config.REFRESH_TOKEN_TTL,
      sessionMaxAgeSeconds: config.SESSION_MAX_AGE,
      reuseGraceSeconds: config.REFRESH_REUSE_GRACE_SECONDS,
      revocationTtlSeconds
    })
    const admins = createAdminUserService({ db, users, sessions, revocations: store, revocationTtlSeconds })

    const promoted = await admins.promoteByEmail(input.email)
    // The operator vouches for the address by naming it here.
    if (promoted !== undefined) await setEmailVerified(db, promoted.user.id, true, new Date())
    if (promoted !== undefined) {
      const { user, wasAdmin, reactivated } = promoted
      out.log(wasAdmin
        ? `${user.username} <${user.email}> is already an admin${reactivated ? '; the account was deactivated and is active again' : ''}.`
        : `Gave the admin role to the existing account ${user.username} <${user.email}>${reactivated ? ', and reactivated it' : ''}.`)
      if (input.username !== undefined || input.password !== undefined) {
        out.log('The account keeps its username and password: --username and --password only apply to a new account.')
      }
      out.log(`Its roles: ${user.roles.join(', ')}. An access token it already holds gets them at its next refresh.`)
      return EXIT_OK
    }

    if (input.username === undefined || input.password === undefined) {
      out.error(`create-admin: no account has the email ${input.email}; give --username and --password to create one.\n\n${USAGE}`)
      return EXIT_USAGE
    }
    const hasher = createPasswordHasher({
      memoryCost: config.ARGON2_MEMORY_KIB,
      timeCost: config.ARGON2_TIME_COST,
      parallelism: config.ARGON2_PARALLELISM
    }, 1)
    const user = await users.create({ email: input.email, username: input.username, passwordHash: await hasher.hash(input.password) })
    await admins.promoteByEmail(user.email)
    await setEmailVerified(db, user.id, true, new Date())
    out.log(`Created the admin ${user.username} <${user.email}> in the ${kind} database.`)
    return EXIT_OK
  } catch (err) {
    out.error(`create-admin: ${describe(err)}`)
    return EXIT_FAILED
  } finally {
    await close()
    await closeDatabase()
  }
}
