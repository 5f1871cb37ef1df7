/**
 * One log line once the server listens, for whoever starts it: where the docs are, and which
 * database and Redis it is using (URLs without their credentials).
 */
import { resolve } from 'node:path'
import fp from 'fastify-plugin'
import type { AddressInfo } from 'node:net'

/** A URL as it may be logged: no user name, no password. */
export function withoutCredentials (url: string): string {
  const parsed = new URL(url)
  parsed.username = ''
  parsed.password = ''
  return parsed.toString()
}

function originOf (address: AddressInfo): string {
  // A wildcard address is reachable from this machine as localhost.
  const host = address.address === '0.0.0.0' || address.address === '::' ? 'localhost' : address.address
  return `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`
}

export default fp(async (app) => {
  const { config } = app
  app.addHook('onListen', async () => {
    const address = app.server.address()
    if (address === null || typeof address === 'string') return
    const docs = `${originOf(address)}/docs`
    const database = app.dbKind === 'postgres' && config.DATABASE_URL !== undefined
      ? `PostgreSQL at ${withoutCredentials(config.DATABASE_URL)}`
      : app.dbKind === 'pglite' ? `embedded PGlite in ${resolve(config.DATA_DIR, 'pglite')}` : 'embedded PGlite in memory'
    const redis = config.REDIS_URL === undefined
      ? 'no Redis (in-process stores: one instance only)'
      : `Redis at ${withoutCredentials(config.REDIS_URL)} (keys under ${config.REDIS_KEY_PREFIX})`
    app.log.info({ docs, database, redis }, `ready: docs at ${docs}; ${database}; ${redis}`)
  })
}, { name: 'startup-log', dependencies: ['config', 'db'] })
