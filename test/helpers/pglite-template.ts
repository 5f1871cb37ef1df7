/**
 * PGlite runs initdb on every new instance (seconds); restoring a dump of an already migrated
 * data dir takes a fraction of that. The dump is cached per migration set in the temp folder.
 */
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { readFile, rename, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { PGlite } from '@electric-sql/pglite'
import { Kysely, PGliteDialect } from 'kysely'
import type { OpenDatabase } from '../../src/db/create-database.js'
import { migrateToLatest } from '../../src/db/migrate.js'
import type { Database } from '../../src/db/types.js'

const migrationsDir = fileURLToPath(new URL('../../migrations', import.meta.url))

function migrationsDigest (): string {
  const hash = createHash('sha256')
  for (const file of readdirSync(migrationsDir).sort()) hash.update(file).update(readFileSync(join(migrationsDir, file)))
  return hash.digest('hex').slice(0, 16)
}

async function createTemplate (file: string): Promise<void> {
  const pglite = new PGlite()
  const db = new Kysely<Database>({ dialect: new PGliteDialect({ pglite }) })
  await migrateToLatest(db)
  const dump = await pglite.dumpDataDir('none')
  await db.destroy()
  const partial = `${file}.${process.pid}.tmp`
  await writeFile(partial, Buffer.from(await dump.arrayBuffer()))
  await rename(partial, file)
}

let template: Promise<Blob> | undefined

async function templateDump (): Promise<Blob> {
  const file = join(tmpdir(), `auth-service-pglite-${migrationsDigest()}.tar`)
  if (!existsSync(file)) await createTemplate(file)
  return new Blob([await readFile(file)])
}

/** A new in-memory PGlite holding a migrated, empty schema. */
export async function restoredPglite (): Promise<OpenDatabase> {
  template ??= templateDump()
  const pglite = new PGlite({ loadDataDir: await template })
  const db = new Kysely<Database>({ dialect: new PGliteDialect({ pglite }) })
  return { db, kind: 'pglite-memory', close: () => db.destroy() }
}
