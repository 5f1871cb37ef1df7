/** Schedules the retention job on this instance; `app.retention.run()` runs one pass now. */
import fp from 'fastify-plugin'
import { createRetentionJob, type RetentionJob } from '../src/services/retention.js'

declare module 'fastify' {
  interface FastifyInstance {
    retention: RetentionJob
  }
}

const BATCH_SIZE = 500

export default fp(async (app) => {
  const { config } = app
  const job = createRetentionJob(app.db, {
    endedRowsDays: config.TOKEN_RETENTION_DAYS,
    auditDays: config.AUDIT_RETENTION_DAYS,
    batchSize: BATCH_SIZE
  })
  app.decorate('retention', job)

  const intervalMs = config.RETENTION_INTERVAL * 1000
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  let closed = false
  const pass = async () => {
    try {
      const report = await app.retention.run()
      if (report !== undefined) app.log.info({ deleted: report }, 'retention pass')
    } catch (err) {
      app.log.error({ err }, 'retention pass failed: retried at the next interval')
    }
  }
  const schedule = (delayMs: number) => {
    timer = setTimeout(() => {
      running = pass().finally(() => {
        running = undefined
        if (!closed) schedule(intervalMs)
      })
    }, delayMs)
    // A pending pass never keeps the process alive.
    timer.unref()
  }
  app.addHook('onReady', async () => {
    // Started instances spread out over the interval's second half, so a fleet restarted at once does not all wake together.
    schedule(intervalMs * (0.5 + Math.random() / 2))
  })
  app.addHook('onClose', async () => {
    closed = true
    clearTimeout(timer)
    await running
  })
}, { name: 'retention', dependencies: ['config', 'db'] })
