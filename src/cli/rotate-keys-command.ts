/**
 * `npm run rotate-keys [-- --force]`: the next signing key becomes current, the current one retired,
 * and a new next key is created. Refuses while the next key has not been published for
 * JWKS_MAX_AGE + JWT_KEYS_REFRESH, so that no verifier meets a kid it has not cached.
 */
import { parseArgs } from 'node:util'
import { loadConfig, type Config } from '../config.js'
import { createDatabase } from '../db/create-database.js'
import { migrateToLatest } from '../db/migrate.js'
import { resolveEncryptionKey } from '../services/encryption-key.js'
import { createManagedKeys, managedKeySettings, RotationRefusedError } from '../services/managed-keys.js'
import { createSecretBox } from '../services/secret-box.js'
import { keyMode } from '../services/signing-keys.js'

export const EXIT_OK = 0
export const EXIT_FAILED = 1
export const EXIT_USAGE = 2

export const USAGE = `Usage: npm run rotate-keys [-- --force]

Makes the next signing key current, retires the current one (published until its tokens expired)
and creates a new next key. Running servers pick the change up within JWT_KEYS_REFRESH.
Refuses while the next key has been published for less than JWKS_MAX_AGE + JWT_KEYS_REFRESH;
--force rotates anyway (verifiers may then reject new tokens until they re-read the JWKS).`

export interface Output {
  log: (message: string) => void
  error: (message: string) => void
}

export interface CommandOptions {
  env: Record<string, string | undefined>
  dotenv?: boolean
  out?: Output
  now?: () => Date
}

const message = (err: unknown): string => err instanceof Error ? err.message : String(err)

export async function rotateKeysCommand (args: string[], { env, dotenv = false, out = console, now }: CommandOptions): Promise<number> {
  let config: Config
  let force: boolean
  try {
    const { values } = parseArgs({ args, options: { force: { type: 'boolean', default: false }, help: { type: 'boolean', default: false } }, strict: true })
    if (values.help) {
      out.log(USAGE)
      return EXIT_OK
    }
    force = values.force
    config = loadConfig(env, { dotenv })
  } catch (err) {
    out.error(`rotate-keys: ${message(err)}\n\n${USAGE}`)
    return EXIT_USAGE
  }
  if (keyMode(config) !== 'managed') {
    out.error('rotate-keys: the signing keys are not managed by the service (JWT_SECRET or JWT_PRIVATE_KEY is set): rotating them is the operator\'s job.')
    return EXIT_FAILED
  }

  let database
  try {
    const box = createSecretBox(await resolveEncryptionKey(config, { warn: (m) => out.error(`rotate-keys: ${m}`) }))
    database = await createDatabase(config, (err) => out.error(`rotate-keys: database connection lost: ${err.message}`))
    await migrateToLatest(database.db)
    const keys = createManagedKeys(database.db, box, managedKeySettings(config, now))
    // Opening the keys first: a wrong JWT_KEY_ENCRYPTION_KEY must not rotate in keys no server can read.
    await keys.load()
    const rotation = await keys.rotate({ force })
    out.log(`Rotated the signing keys: ${rotation.current} now signs, ${rotation.retired} is retired, ${rotation.next} is the next key.`)
    out.log(`Running servers sign with the new key within JWT_KEYS_REFRESH (${config.JWT_KEYS_REFRESH} s).`)
    return EXIT_OK
  } catch (err) {
    if (err instanceof RotationRefusedError) {
      out.error(`rotate-keys: refused: ${err.message}.`)
    } else {
      out.error(`rotate-keys: ${message(err)}`)
    }
    return EXIT_FAILED
  } finally {
    await database?.close()
  }
}
