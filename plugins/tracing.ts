/**
 * Optional OpenTelemetry tracing. With `OTEL_EXPORTER_OTLP_ENDPOINT` set, every request gets a
 * server span named by its route, its SQL, Redis and argon2 work child spans, all exported over
 * OTLP/HTTP; `app.tracer` is then set for the plugins that add those child spans. Unset, nothing
 * is registered: no hook, no wrapper, no cost on the hot path.
 */
import fp from 'fastify-plugin'
import { context, SpanKind, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api'
import { NodeSDK } from '@opentelemetry/sdk-node'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'

declare module 'fastify' {
  interface FastifyInstance {
    tracer: Tracer | undefined
  }
  interface FastifyRequest {
    span: Span | undefined
  }
}

export default fp(async (app) => {
  const endpoint = app.config.OTEL_EXPORTER_OTLP_ENDPOINT
  if (endpoint === undefined) {
    app.decorate('tracer', undefined)
    return
  }
  const sdk = new NodeSDK({
    serviceName: app.config.OTEL_SERVICE_NAME,
    autoDetectResources: false,
    traceExporter: new OTLPTraceExporter({ url: new URL('v1/traces', endpoint.endsWith('/') ? endpoint : `${endpoint}/`).toString() }),
    instrumentations: [],
    metricReaders: [],
    logRecordProcessors: []
  })
  sdk.start()
  // Last to close, so the spans of the other plugins' closing work are flushed too.
  app.addHook('onClose', () => sdk.shutdown())
  const tracer = trace.getTracer('auth-service')
  app.decorate('tracer', tracer)
  app.decorateRequest('span', undefined)

  app.addHook('onRequest', (request, _reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched'
    const span = tracer.startSpan(`${request.method} ${route}`, {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': request.method, 'http.route': route, 'url.path': request.url.split('?')[0] ?? '' }
    })
    request.span = span
    // The rest of the request runs inside the span's context, so the child spans find their parent.
    context.with(trace.setSpan(context.active(), span), done)
  })
  app.addHook('onResponse', (request, reply, done) => {
    const span = request.span
    if (span !== undefined) {
      span.setAttribute('http.response.status_code', reply.statusCode)
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR })
      span.end()
    }
    done()
  })
}, { name: 'tracing', dependencies: ['config'] })
