/** `npm run migrate`: applies pending migrations to the configured database and exits. */
import { loadConfig } from '../config.js'
import { openMigratedDatabase } from './open-database.js'

const config = loadConfig(process.env, { dotenv: true })
try {
  const { kind, applied, close } = await openMigratedDatabase(config, console)
  await close()
  for (const r of applied) console.log(`${r.status.toLowerCase()}: ${r.migrationName}`)
  console.log(applied.length === 0 ? `${kind}: already up to date` : `${kind}: ${applied.length} migration(s) applied`)
} catch (err) {
  console.error('migration failed:', err instanceof Error ? err.message : err)
  process.exitCode = 1
}
