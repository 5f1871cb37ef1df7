/** Opens the database, applies migrations, exposes `app.db`, and closes it with the app. */
import fp from 'fastify-plugin'
import type { Kysely } from 'kysely'
import { createDatabase, type DatabaseKind, type OpenDatabase } from '../src/db/create-database.js'
import { migrateToLatest } from '../src/db/migrate.js'
import { sqlSpans } from '../src/tracing/spans.js'
import type { Database } from '../src/db/types.js'

declare module 'fastify' {
  interface FastifyInstance {
    db: Kysely<Database>
    dbKind: DatabaseKind
  }
}

export interface DbPluginOptions {
  /** An already opened database (tests hand in a restored PGlite); the plugin still migrates and closes it. */
  database?: OpenDatabase | undefined
}

export default fp<DbPluginOptions>(async (app, options) => {
  const log = app.tracer === undefined ? undefined : sqlSpans(app.tracer)
  const { db, kind, close } = options.database ?? await createDatabase(app.config, (err) => app.log.error({ err }, 'database connection lost'), log)
  app.addHook('onClose', close)
  const applied = await migrateToLatest(db)
  for (const m of applied) app.log.info({ migration: m.migrationName, status: m.status }, 'migration')
  if (kind !== 'postgres') app.log.info({ kind }, 'using the embedded PGlite database')
  app.decorate('db', db)
  app.decorate('dbKind', kind)
}, { name: 'db', dependencies: ['config', 'tracing'] })
