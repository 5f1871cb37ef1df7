/** Child spans at the service's own seams: SQL statements, Redis-backed stores, password hashing. */
import { SpanKind, SpanStatusCode, type Span, type Tracer } from '@opentelemetry/api'
import type { LogEvent } from 'kysely'

/** Ends `span` with the outcome of `work`, recording an error without its message (it may carry input). */
export async function inSpan<T> (tracer: Tracer, name: string, attributes: Record<string, string>, work: () => Promise<T>): Promise<T> {
  return await tracer.startActiveSpan(name, { kind: SpanKind.INTERNAL, attributes }, async (span: Span) => {
    try {
      return await work()
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.name : 'error' })
      throw err
    } finally {
      span.end()
    }
  })
}

type AsyncMethodOf<T> = { [K in keyof T]: T[K] extends (...args: never[]) => Promise<unknown> ? K : never }[keyof T] & string

/** The same object, with each of the named async methods running in a span `<system> <method>`. */
export function traced<T extends object> (tracer: Tracer, system: string, target: T, methods: ReadonlyArray<AsyncMethodOf<T>>): T {
  const wrapped: Partial<T> = {}
  for (const name of methods) {
    const method = target[name] as (...args: unknown[]) => Promise<unknown>
    Object.assign(wrapped, { [name]: (...args: unknown[]) => inSpan(tracer, `${system} ${name}`, { 'db.system.name': system }, () => method.apply(target, args)) })
  }
  return { ...target, ...wrapped }
}

/**
 * A Kysely log function that records each statement as a span of its own duration. The text has
 * placeholders only: bound values (hashes, emails) never reach the trace.
 */
export function sqlSpans (tracer: Tracer): (event: LogEvent) => void {
  return (event) => {
    const end = Date.now()
    const sql = event.query.sql
    const operation = /^\s*(\w+)/.exec(sql)?.[1]?.toUpperCase() ?? 'SQL'
    const span = tracer.startSpan(`sql ${operation}`, {
      kind: SpanKind.CLIENT,
      startTime: end - event.queryDurationMillis,
      attributes: { 'db.system.name': 'postgresql', 'db.operation.name': operation, 'db.query.text': sql }
    })
    if (event.level === 'error') span.setStatus({ code: SpanStatusCode.ERROR })
    span.end(end)
  }
}
