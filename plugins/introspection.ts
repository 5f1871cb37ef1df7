/** Exposes `app.introspection` (RFC 7662) over the clients of INTROSPECTION_CLIENTS. */
import fp from 'fastify-plugin'
import { createIntrospection, parseIntrospectionClients, type IntrospectionService } from '../src/services/introspection.js'

declare module 'fastify' {
  interface FastifyInstance {
    introspection: IntrospectionService
  }
}

export default fp(async (app) => {
  app.decorate('introspection', createIntrospection({
    db: app.db,
    clients: parseIntrospectionClients(app.config.INTROSPECTION_CLIENTS),
    authenticate: (token) => app.authService.authenticate(token),
    issuer: app.config.JWT_ISSUER
  }))
}, { name: 'introspection', dependencies: ['config', 'db', 'services'] })
