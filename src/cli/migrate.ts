/** `npm run migrate`: applies pending migrations to the configured database and exits. */
import { loadConfig } from '../config.js'
import { createDatabase } from '../db/create-database.js'
import { migrateToLatest } from '../db/migrate.js'

const config = loadConfig(process.env, { dotenv: true })
const { db, kind, close } = await createDatabase(config, (err) => console.error('database connection lost:', err.message))
try {
  const results = await migrateToLatest(db)
  for (const r of results) console.log(`${r.status.toLowerCase()}: ${r.migrationName}`)
  console.log(results.length === 0 ? `${kind}: already up to date` : `${kind}: ${results.length} migration(s) applied`)
} catch (err) {
  console.error('migration failed:', err instanceof Error ? err.message : err)
  process.exitCode = 1
} finally {
  await close()
}
