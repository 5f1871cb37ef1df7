/** Applies `migrations/` up to the latest; Kysely's migrator holds an advisory lock, so instances may race safely. */
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Kysely } from 'kysely'
import { FileMigrationProvider, Migrator, type MigrationResult } from 'kysely/migration'
import type { Database } from './types.js'

// Resolved from this file, so it finds `migrations/*.ts` under tsx and `dist/migrations/*.js` once built.
const migrationFolder = fileURLToPath(new URL('../../migrations', import.meta.url))

export async function migrateToLatest (db: Kysely<Database>): Promise<MigrationResult[]> {
  const migrator = new Migrator({ db, provider: new FileMigrationProvider({ fs, path, migrationFolder }) })
  const { error, results } = await migrator.migrateToLatest()
  if (error !== undefined) throw error
  return results ?? []
}
