/** Reads config, builds the app, listens, and shuts down gracefully. */
import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { loadConfig } from './config.js'

const config = loadConfig(process.env, { dotenv: true })
const app = await buildApp({ config })

// A signal (or a crash) stops the listener, lets the requests in flight finish and closes the
// pools; a close that hangs past the deadline ends the process anyway, so an orchestrator's stop
// never waits on a stuck dependency.
closeWithGrace({
  delay: config.SHUTDOWN_TIMEOUT * 1000,
  logger: { error: (message: unknown) => app.log.error(message) },
  onTimeout: (delay) => app.log.error({ delay_ms: delay }, 'graceful shutdown timed out: exiting anyway')
}, async ({ signal, err }) => {
  if (err !== undefined) app.log.error({ err }, 'shutting down after an uncaught error')
  else app.log.info({ signal }, 'shutting down')
  await app.close()
})

try {
  await app.listen({ host: config.HOST, port: config.PORT })
} catch (err) {
  app.log.error({ err }, 'could not start')
  await app.close()
  process.exit(1)
}
