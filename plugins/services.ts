/** Builds the domain (src/create-services.ts) once per app and decorates the app with each service by its name. */
import fp from 'fastify-plugin'
import { createServices, type Services } from '../src/create-services.js'

type DomainServices = Omit<Services, 'idle'>

declare module 'fastify' {
  // Every service createServices answers is `app.<name>`, so a new one needs no line here.
  interface FastifyInstance extends DomainServices {}
}

export default fp(async (app) => {
  const { idle, ...services } = await createServices(app.config, {
    db: app.db,
    revocations: app.revocations,
    counters: app.counters,
    mailer: app.mailer,
    background: app.background,
    accessTokens: app.accessTokens,
    logger: app.log,
    tracer: app.tracer
  })
  // Closes run in reverse order of registration: a role reload finishes before the database closes.
  app.addHook('onClose', idle)
  for (const [name, service] of Object.entries(services)) app.decorate<unknown>(name, service)
}, { name: 'services', dependencies: ['config', 'db', 'store', 'tokens', 'mail', 'tracing'] })
