/**
 * Lets a close finish while keep-alive clients stay connected: Node closes only the connections
 * idle at the moment `close()` starts, so a connection whose request was in flight would hold the
 * close open for the whole keep-alive timeout after its answer. Until the server has closed, idle
 * connections are closed as they appear; a request in flight is never cut.
 */
import fp from 'fastify-plugin'

const SWEEP_INTERVAL_MS = 50

export default fp(async (app) => {
  app.addHook('preClose', async () => {
    if (!app.server.listening) return
    const sweep = setInterval(() => app.server.closeIdleConnections(), SWEEP_INTERVAL_MS)
    sweep.unref()
    app.server.once('close', () => clearInterval(sweep))
  })
}, { name: 'graceful-close' })
