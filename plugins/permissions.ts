/**
 * The permission guard: `onRequest: [app.authenticate, app.requirePermission('users:read')]`
 * checks the roles of the access token against the in-process role map, and the route's
 * OpenAPI operation says which permission it needs (`x-permissions` and a description line).
 */
import fp from 'fastify-plugin'
import type { FastifyRequest, FastifySchema, onRequestHookHandler, RouteOptions } from 'fastify'
import { errors } from '../src/errors.js'
import type { Actor, Permission } from '../src/services/roles.js'

export type PermissionGuard = (request: FastifyRequest) => Promise<void>

declare module 'fastify' {
  interface FastifyInstance {
    /** An `onRequest` hook answering 403 unless a role of the access token grants the permission; put it after `app.authenticate`. */
    requirePermission: (permission: Permission) => PermissionGuard
  }
}

const REQUIRED = Symbol('required permission')
type MarkedGuard = PermissionGuard & { [REQUIRED]: Permission }

/** The caller of a guarded route, for the rules that compare what they hold with what they touch. */
export function actorOf (request: FastifyRequest): Actor {
  if (request.auth === null) throw errors.invalidToken()
  return { id: request.auth.claims.sub, permissions: request.server.roles.permissionsOf(request.auth.claims.roles) }
}

function requiredPermissions (hooks: RouteOptions['onRequest']): Permission[] {
  const list: unknown[] = hooks === undefined ? [] : Array.isArray(hooks) ? hooks : [hooks]
  return list.flatMap((hook) => typeof hook === 'function' && REQUIRED in hook ? [(hook as MarkedGuard)[REQUIRED]] : [])
}

export default fp(async (app) => {
  const { roles } = app

  app.decorate('requirePermission', (permission: Permission): PermissionGuard => {
    const guard = async (request: FastifyRequest): Promise<void> => {
      // Fails closed when a route forgot `app.authenticate` in front of it.
      if (request.auth === null) throw errors.tokenRequired()
      if (!roles.allows(request.auth.claims.roles, permission)) throw errors.forbidden(`This needs the permission ${permission}.`)
    }
    return Object.assign(guard, { [REQUIRED]: permission })
  })

  // The guard is declared once, on the route; the document learns it from there instead of being told twice.
  app.addHook('onRoute', (route) => {
    const required = requiredPermissions(route.onRequest as onRequestHookHandler | onRequestHookHandler[] | undefined)
    if (required.length === 0) return
    const schema: FastifySchema & { description?: string, 'x-permissions'?: Permission[] } = route.schema ?? {}
    const line = `Requires the permission ${required.map((p) => `\`${p}\``).join(' and ')}.`
    route.schema = {
      ...schema,
      description: schema.description === undefined ? line : `${schema.description}\n\n${line}`,
      'x-permissions': required
    } as FastifySchema
  })
}, { name: 'permissions', dependencies: ['services', 'auth'] })
