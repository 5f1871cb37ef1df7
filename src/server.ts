/** Reads config, builds the app, listens, and shuts down gracefully. */
import { buildApp, type App } from './app.js'
import { loadConfig } from './config.js'
import { ConfigError } from './config-errors.js'

let app: App
try {
  app = await buildApp({ config: loadConfig(process.env, { dotenv: true }) })
} catch (err) {
  // An operator's mistake gets one line per setting, not a stack trace.
  if (!(err instanceof ConfigError)) throw err
  for (const line of err.problems) console.error(line)
  process.exit(1)
}

let closing = false
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    if (closing) return
    closing = true
    app.log.info({ signal }, 'shutting down')
    app.close().then(() => process.exit(0), (err: unknown) => {
      app.log.error({ err }, 'shutdown failed')
      process.exit(1)
    })
  })
}

try {
  await app.listen({ host: app.config.HOST, port: app.config.PORT })
} catch (err) {
  app.log.error({ err }, 'could not start')
  await app.close()
  process.exit(1)
}
