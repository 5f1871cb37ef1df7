/** `app.clock`: the time the time-dependent rules of the services read, so tests can move it instead of sleeping. */
import fp from 'fastify-plugin'

export interface Clock {
  /** Milliseconds since the epoch, as `Date.now()`. */
  now: () => number
}

declare module 'fastify' {
  interface FastifyInstance {
    clock: Clock
  }
}

export default fp<{ clock?: Clock | undefined }>(async (app, { clock }) => {
  app.decorate('clock', clock ?? { now: Date.now })
}, { name: 'clock' })
