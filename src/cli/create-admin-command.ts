/**
 * `npm run create-admin -- --email E --username U --password P`: creates an admin account, or
 * gives `admin` to the live account with that email. Same rules as the API: this parses the
 * arguments and calls the services that `createServices` builds for the server too.
 */
import { parseArgs } from 'node:util'
import { Ajv } from 'ajv'
import addFormatsModule from 'ajv-formats'
import type { TSchema } from '@sinclair/typebox'
import { loadConfig, type Config } from '../config.js'
import type { Services } from '../create-services.js'
import { AppError, DependencyError } from '../errors.js'
import { loadCommonPasswords } from '../services/common-passwords.js'
import { passwordProblem, type PasswordPolicy } from '../services/password-policy.js'
import { Email, Password, Username } from '../../schemas/common.js'
import { OpenError, openCliRuntime, type Output } from './runtime.js'

export type { Output } from './runtime.js'

// ajv-formats is CommonJS with a default export; under NodeNext the callable sits on `.default`.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default

export const EXIT_OK = 0
export const EXIT_FAILED = 1
export const EXIT_USAGE = 2

export const USAGE = `Usage: npm run create-admin -- --email <email> [--username <username> --password <password>]

Creates an admin account, or gives the admin role to the live account with that email
(reactivating it if it was deactivated). --username and --password are needed to create one.
Uses DATABASE_URL, or the embedded database in DATA_DIR: stop the server first.`

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

function describe (err: unknown): string {
  if (err instanceof DependencyError) {
    return `the change was saved, but ${err.dependency} could not be told (${String(err.cause)}); ` +
      'running servers may show the account\'s old roles on GET /users/me until it changes again.'
  }
  if (err instanceof AppError) return err.message
  return `failed: ${err instanceof Error ? err.message : String(err)}`
}

/** Promotes the account with the email, or creates it as an admin; answers the exit code. */
async function makeAdmin ({ users, adminUsers, passwords }: Services, input: Input, databaseKind: string, out: Output): Promise<number> {
  const promoted = await adminUsers.promoteByEmail(input.email)
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
  const user = await users.create({ email: input.email, username: input.username, passwordHash: await passwords.hash(input.password) })
  await adminUsers.promoteByEmail(user.email)
  out.log(`Created the admin ${user.username} <${user.email}> in the ${databaseKind} database.`)
  return EXIT_OK
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

  let runtime
  try {
    runtime = await openCliRuntime(config, out)
  } catch (err) {
    out.error(`create-admin: ${err instanceof OpenError ? err.message : describe(err)}`)
    return EXIT_FAILED
  }
  try {
    return await makeAdmin(runtime.services, input, runtime.kind, out)
  } catch (err) {
    out.error(`create-admin: ${describe(err)}`)
    return EXIT_FAILED
  } finally {
    await runtime.close()
  }
}
