/** `app.clock`: the time the services judge time-dependent rules by; the system clock unless the app was built with another. */
import fp from 'fastify-plugin'
import type { Clock } from '../src/clock.js'

export type { Clock } from '../src/clock.js'

declare module 'fastify' {
  interface FastifyInstance {
    clock: Clock
  }
}

export default fp<{ clock?: Clock | undefined }>(async (app, { clock }) => {
  app.decorate('clock', clock ?? { now: Date.now })
}, { name: 'clock' })
