/**
 * Routes whose JSON body may be left out altogether (refresh, logout and revoke by the cookie).
 * One hook does it at run time, and the OpenAPI document reads the same hook off the route, so
 * the document says such a body is not `required` exactly when the route accepts none.
 */
import type { FastifyRequest, RouteOptions } from 'fastify'

/** `preValidation` hook: a call with no body at all is validated as `{}`. */
export async function bodyMayBeOmitted (request: FastifyRequest): Promise<void> {
  request.body ??= {}
}

export function hasOptionalBody (route: Pick<RouteOptions, 'preValidation'>): boolean {
  const hooks = route.preValidation
  return Array.isArray(hooks) ? hooks.includes(bodyMayBeOmitted) : hooks === bodyMayBeOmitted
}
