/** Exposes the validated configuration as `app.config`, and the clock every time rule reads as `app.clock`. */
import fp from 'fastify-plugin'
import type { Config } from '../src/config.js'

declare module 'fastify' {
  interface FastifyInstance {
    config: Config
    /** Milliseconds since the epoch; tests hand in a clock they move. */
    clock: () => number
  }
}

export interface ConfigPluginOptions {
  config: Config
  clock?: (() => number) | undefined
}

export default fp<ConfigPluginOptions>(async (app, { config, clock = Date.now }) => {
  app.decorate('config', config)
  app.decorate('clock', clock)
}, { name: 'config' })
