/** Turns every error into RFC 9457 problem+json with a stable `code`; hides the details of 5xx. */
import fp from 'fastify-plugin'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { AppError, DependencyError, errors as appErrors, type FieldError } from '../src/errors.js'

export const PROBLEM_CONTENT_TYPE = 'application/problem+json'

interface ValidationIssue {
  instancePath: string
  message?: string | undefined
  params?: Record<string, unknown>
}

function fieldErrors (context: string | undefined, issues: ValidationIssue[]): FieldError[] {
  return issues.map((issue) => {
    const extra = issue.params?.missingProperty ?? issue.params?.additionalProperty
    const path = `${issue.instancePath}${typeof extra === 'string' ? `/${extra}` : ''}` || '/'
    const message = issue.params?.additionalProperty !== undefined ? 'is not an allowed field' : issue.message ?? 'is not valid'
    return { path: context === undefined || context === 'body' ? path : `${context}${path}`, message }
  })
}

// Connection-level failures of PostgreSQL or Redis: the request was fine, the dependency was not.
// 3D000 and 57P04: the database itself is gone (dropped, or not restored yet), which new connections meet.
const DEPENDENCY_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', '57P01', '57P02', '57P03', '57P04', '3D000', '08000', '08001', '08003', '08006', '53300'])

function isDependencyFailure (err: unknown): boolean {
  if (err instanceof DependencyError) return true
  if (typeof err !== 'object' || err === null) return false
  const { code, message } = err as { code?: unknown, message?: unknown }
  if (typeof code === 'string' && DEPENDENCY_ERROR_CODES.has(code)) return true
  return typeof message === 'string' && /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connection is closed/i.test(message)
}

/** Maps any thrown value to the AppError the client sees. */
export function toAppError (err: unknown): AppError {
  if (err instanceof AppError) return err
  if (isDependencyFailure(err)) {
    const dependency = err instanceof DependencyError ? err.dependency : 'database'
    return appErrors.unavailable(dependency)
  }
  const fe = err as Partial<FastifyError> & { validation?: ValidationIssue[] }
  if (Array.isArray(fe.validation)) {
    return appErrors.validation(`The request ${fe.validationContext ?? 'body'} does not match the schema.`, fieldErrors(fe.validationContext, fe.validation))
  }
  const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500
  if (status >= 400 && status < 500) {
    return appErrors.http(status, typeof fe.message === 'string' && fe.message !== '' ? fe.message : 'The request is not valid.')
  }
  return appErrors.internal()
}

export function sendProblem (reply: FastifyReply, error: AppError): FastifyReply {
  return reply.code(error.status).headers(error.headers).type(PROBLEM_CONTENT_TYPE).send({
    type: `urn:auth-service:problem:${error.code}`,
    title: error.title,
    status: error.status,
    detail: error.message,
    code: error.code,
    ...(error.errors === undefined ? {} : { errors: error.errors }),
    ...error.members
  })
}

export default fp(async (app) => {
  app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const problem = toAppError(err)
    if (problem.status === 503) request.log.warn({ err }, 'dependency unavailable')
    else if (problem.status >= 500) request.log.error({ err }, 'request failed')
    return sendProblem(reply, problem)
  })
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, appErrors.notFound(`No route ${request.method} ${request.url.split('?')[0] ?? ''}.`)))
}, { name: 'errors' })
