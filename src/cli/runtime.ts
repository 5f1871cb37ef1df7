/**
 * What the command-line tools run on, opened the way the server opens it: the database
 * (migrated), the stores, a mailer, and the domain built by `createServices`.
 */
import { Redis } from 'ioredis'
import type { Config } from '../config.js'
import { createServices, type ServiceLogger, type Services } from '../create-services.js'
import type { DatabaseKind } from '../db/create-database.js'
import { DependencyError, errors } from '../errors.js'
import { OpenError, openMigratedDatabase, type Output } from './open-database.js'
import { createBackgroundTasks } from '../services/background.js'
import { createMailer } from '../services/mail.js'
import type { AccessTokens } from '../services/tokens.js'
import { createMemoryCounterStore } from '../stores/memory-counter-store.js'
import { createMemoryRevocationStore } from '../stores/memory-revocation-store.js'
import { createRedisCounterStore } from '../stores/redis-counter-store.js'
import { createRedisRevocationStore } from '../stores/redis-revocation-store.js'

export { OpenError, type Output } from './open-database.js'

export interface CliRuntime {
  services: Services
  kind: DatabaseKind
  close: () => Promise<void>
}

async function openStores (config: Config) {
  if (config.REDIS_URL === undefined) {
    const revocations = createMemoryRevocationStore()
    return { revocations, counters: createMemoryCounterStore(), close: () => revocations.close() }
  }
  // Running servers cache profiles by a version kept in Redis; bumping it is how they learn of a change,
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
    throw new OpenError(`cannot reach Redis (${String(lastError ?? err)}); nothing was changed.`, { cause: new DependencyError('redis', lastError ?? err) })
  }
  return { revocations: createRedisRevocationStore(redis), counters: createRedisCounterStore(redis), close: async () => { redis.disconnect() } }
}

// The command line signs in nobody, so it holds no signing key.
const noAccessTokens: AccessTokens = {
  issue () { throw new Error('the command line issues no access tokens') },
  verify () { throw errors.invalidToken() }
}

function loggerFor (out: Output): ServiceLogger {
  const print = (details: object, message: string) => {
    const { err } = details as { err?: unknown }
    out.error(err === undefined ? message : `${message}: ${err instanceof Error ? err.message : String(err)}`)
  }
  return { info: () => {}, warn: print, error: print }
}

/** Opens the stores, then the database, then builds the services; whatever opened is closed again if a later step fails. */
export async function openCliRuntime (config: Config, out: Output): Promise<CliRuntime> {
  const stores = await openStores(config)
  let database
  try {
    database = await openMigratedDatabase(config, out)
  } catch (err) {
    await stores.close()
    throw err
  }
  const logger = loggerFor(out)
  const mailer = createMailer(config, logger)
  const background = createBackgroundTasks(logger)
  const closeAll = async () => {
    await background.idle()
    mailer.close()
    await stores.close()
    await database.close()
  }
  try {
    const services = await createServices(config, {
      db: database.db, revocations: stores.revocations, counters: stores.counters, mailer, background, accessTokens: noAccessTokens, logger
    })
    return {
      services,
      kind: database.kind,
      close: async () => {
        await services.idle()
        await closeAll()
      }
    }
  } catch (err) {
    await closeAll()
    throw err
  }
}
