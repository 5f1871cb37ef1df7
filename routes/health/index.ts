/** `/health` probes for load balancers and orchestrators; they are not rate limited. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { sql } from 'kysely'
import { HealthReport, Status } from '../../schemas/health.js'
import type { HealthReport as Report } from '../../schemas/health.js'

const CHECK_TIMEOUT_MS = 2000
// Probes are unlimited and unauthenticated: each dependency is asked at most once a second,
// however many balancers, orchestrators or strangers poll.
const REPORT_CACHE_MS = 1000

async function timed (probe: () => Promise<unknown>): Promise<{ status: 'ok' | 'error', latency_ms: number }> {
  const start = performance.now()
  let timer: NodeJS.Timeout | undefined
  try {
    await Promise.race([
      probe(),
      new Promise((_resolve, reject) => { timer = setTimeout(() => reject(new Error('timeout')), CHECK_TIMEOUT_MS) })
    ])
    return { status: 'ok', latency_ms: Math.round((performance.now() - start) * 100) / 100 }
  } catch {
    return { status: 'error', latency_ms: Math.round((performance.now() - start) * 100) / 100 }
  } finally {
    clearTimeout(timer)
  }
}

function identityProvidersCheck (app: FastifyInstance): Pick<Report['checks'], 'identity_providers'> {
  if (app.identityProviders.list().length === 0) return {}
  const unavailable = app.identityProviders.undiscovered()
  return { identity_providers: { status: unavailable.length === 0 ? 'ok' : 'degraded', unavailable } }
}

export async function healthReport (app: FastifyInstance, version: string): Promise<Report> {
  const [database, redis] = await Promise.all([
    timed(() => sql`select 1`.execute(app.db)),
    timed(() => app.revocations.ping())
  ])
  return {
    status: database.status === 'ok' && redis.status === 'ok' ? 'ok' : 'error',
    checks: {
      database: { ...database, backend: app.dbKind === 'postgres' ? 'postgres' : 'pglite' },
      redis: { ...redis, backend: app.revocations.kind },
      ...identityProvidersCheck(app)
    },
    version,
    uptime_s: Math.round(process.uptime())
  }
}

const health: FastifyPluginAsyncTypebox<{ version: string }> = async (app, { version }) => {
  let started = false
  app.addHook('onReady', async () => { started = true })

  const tags = ['health']
  const unlimited = { rateLimit: false } as const
  const noStore = { 'cache-control': 'no-store' }

  let cached: { report: Promise<Report>, until: number } | undefined
  const currentReport = (): Promise<Report> => {
    if (cached !== undefined && performance.now() < cached.until) return cached.report
    // Concurrent probes share the one in flight; its answer is kept for a second from when it came.
    const entry = { report: healthReport(app, version), until: Number.POSITIVE_INFINITY }
    entry.report.finally(() => { entry.until = performance.now() + REPORT_CACHE_MS }).catch(() => {})
    cached = entry
    return entry.report
  }

  const report = async (_request: FastifyRequest, reply: FastifyReply) => {
    const body = await currentReport()
    return reply.code(body.status === 'ok' ? 200 : 503).headers(noStore).send(body)
  }

  app.get('/health', {
    config: unlimited,
    schema: { tags, operationId: 'health', summary: 'Status of the service and its dependencies', security: [], response: { 200: HealthReport, 503: HealthReport } }
  }, report)

  app.get('/health/liveness', {
    config: unlimited,
    schema: { tags, operationId: 'liveness', summary: 'The process is up (touches no dependency)', security: [], response: { 200: Status } }
  }, async () => ({ status: 'ok' }))

  app.get('/health/readiness', {
    config: unlimited,
    schema: { tags, operationId: 'readiness', summary: 'The database and Redis answer', security: [], response: { 200: HealthReport, 503: HealthReport } }
  }, report)

  app.get('/health/startup', {
    config: unlimited,
    schema: { tags, operationId: 'startup', summary: 'Migrations applied and the app ready', security: [], response: { 200: Status, 503: Status } }
  }, async (_request, reply) => reply.code(started ? 200 : 503).send({ status: started ? 'ok' : 'starting' }))
}

export default health
