/** Opens the configured database for a command-line tool, migrated, as the server opens it. */
import type { Config } from '../config.js'
import { createDatabase, type OpenDatabase } from '../db/create-database.js'
import { migrateToLatest } from '../db/migrate.js'

export interface Output {
  log: (message: string) => void
  error: (message: string) => void
}

/** A failure to open something, with the sentence the command prints for it. */
export class OpenError extends Error {}

/** Opens the configured database and applies pending migrations; answers what was applied. */
export async function openMigratedDatabase (config: Config, out: Output) {
  let database: OpenDatabase
  try {
    database = await createDatabase(config, (err) => out.error(`database connection lost: ${err.message}`))
  } catch (err) {
    // Most often the embedded database held by a running server.
    throw new OpenError(err instanceof Error ? err.message : String(err), { cause: err })
  }
  try {
    return { ...database, applied: await migrateToLatest(database.db) }
  } catch (err) {
    await database.close()
    throw err
  }
}
