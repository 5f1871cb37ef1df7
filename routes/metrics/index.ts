/** `GET /metrics`: Prometheus scrapes it; not rate limited, so keep it off the public network. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'

const metrics: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/metrics', {
    config: { rateLimit: false },
    schema: {
      tags: ['meta'],
      operationId: 'metrics',
      summary: 'Prometheus metrics (text exposition format)',
      description: 'Process metrics and `http_request_duration_seconds` by method, route pattern and status code. ' +
        'Not rate limited and not authenticated: expose it to the scraper only.',
      security: [],
      produces: ['text/plain'],
      response: { 200: { type: 'string', description: 'Prometheus text exposition format 0.0.4' } }
    }
  }, async (_request, reply) => {
    const text = await app.metrics.scrape()
    return reply.type(app.metrics.registry.contentType).header('cache-control', 'no-store').send(text)
  })
}

export default metrics
