import t, { type Test } from 'tap'
import { once } from 'node:events'
import { connect, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { startServerProcess } from './helpers/server-process.js'
import { freshDatabase, TEST_ENV } from './helpers/app.js'

async function start (t: Test, extra: Record<string, string> = {}) {
  const server = await startServerProcess([process.execPath, '--import', 'tsx', 'src/server.ts'], {
    cwd: process.cwd(),
    env: { ...process.env as Record<string, string>, ...TEST_ENV, LOG_LEVEL: 'info', HOST: '127.0.0.1', PORT: '0', DATABASE_URL: await freshDatabase(t), ...extra }
  })
  t.teardown(() => { if (server.child.exitCode === null) server.child.kill('SIGKILL') })
  return server
}

const BODY = JSON.stringify({ username: 'nobody@example.com', password: 'not the password at all' })

/** A login whose headers are sent now and whose body only when `finish` is called: a request in flight. */
async function slowLogin (url: string): Promise<{ socket: Socket, finish: () => Promise<string> }> {
  const { hostname, port } = new URL(url)
  const socket = connect(Number(port), hostname)
  await once(socket, 'connect')
  socket.write(`POST /api/v1/auth/login HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: ${BODY.length}\r\n\r\n`)
  const received: Buffer[] = []
  socket.on('data', (chunk: Buffer) => received.push(chunk))
  const ended = once(socket, 'close')
  return {
    socket,
    finish: async () => {
      socket.write(BODY)
      await ended
      return Buffer.concat(received).toString()
    }
  }
}

t.test('SIGTERM answers the request in flight, then closes and exits 0', async (t) => {
  const server = await start(t, { SHUTDOWN_TIMEOUT: '60' })
  const inFlight = await slowLogin(server.url)
  await sleep(300)
  server.child.kill('SIGTERM')
  await sleep(300)
  await t.rejects(fetch(`${server.url}/health/liveness`), 'no new connection is accepted once closing')
  const answer = await inFlight.finish()
  t.match(answer, /^HTTP\/1\.1 401 /, 'the request in flight is answered, not dropped')
  t.match(answer, /invalid_credentials/)
  t.equal(await server.exited, 0, 'a clean exit', { logs: server.logs.slice(-5) })
  t.ok(server.logs.some((l) => l.msg === 'shutting down' && l.signal === 'SIGTERM'), 'the shutdown is logged with its signal')
})

t.test('a shutdown that outlasts SHUTDOWN_TIMEOUT ends the process anyway', async (t) => {
  const server = await start(t, { SHUTDOWN_TIMEOUT: '1' })
  // Its body never comes, so the close would wait for it without a deadline.
  const stuck = await slowLogin(server.url)
  await sleep(300)
  const signalled = Date.now()
  server.child.kill('SIGTERM')
  t.equal(await server.exited, 1, 'not a clean exit: the deadline cut it short')
  t.ok(Date.now() - signalled < 20_000, 'ended by the deadline, not by the request')
  t.ok(server.logs.some((l) => l.msg === 'graceful shutdown timed out: exiting anyway'), 'the timeout is logged')
  stuck.socket.destroy()
})
