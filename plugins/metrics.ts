/**
 * Prometheus metrics (prom-client) in a registry of this app's own, never the global one: process
 * metrics and the duration of every request by method, route pattern and status. Exposes
 * `app.metrics`; `GET /metrics` is in routes/metrics.
 */
import fp from 'fastify-plugin'
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client'

export interface Metrics {
  registry: Registry
  /** The text exposition of every metric. */
  scrape: () => Promise<string>
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics
  }
}

// Route patterns, never raw URLs: a label per distinct URL would let any client grow the series without bound.
const UNMATCHED_ROUTE = 'unmatched'

export default fp(async (app) => {
  const registry = new Registry()
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Duration of HTTP requests by method, route pattern and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry]
  })

  app.addHook('onResponse', async (request, reply) => {
    duration.observe({
      method: request.method,
      route: request.routeOptions.url ?? UNMATCHED_ROUTE,
      status_code: reply.statusCode
    }, reply.elapsedTime / 1000)
  })

  // The process collectors start with the first scrape: each start leaves an event-loop monitor and
  // a GC observer running for the life of the process, which an app never scraped (tests, CLI) skips.
  let collectingProcessMetrics = false
  app.decorate('metrics', {
    registry,
    async scrape () {
      if (!collectingProcessMetrics) {
        collectDefaultMetrics({ register: registry })
        collectingProcessMetrics = true
      }
      return await registry.metrics()
    }
  })
}, { name: 'metrics' })
