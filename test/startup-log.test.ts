/** The line a newcomer reads when the server starts: where the docs are, which database and Redis it uses. */
import t from 'tap'
import { Writable } from 'node:stream'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { withoutCredentials } from '../plugins/startup-log.js'
import { testEnv } from './helpers/app.js'
import { restoredPglite } from './helpers/pglite-template.js'

interface LogLine { msg: string, docs?: string, database?: string, redis?: string }

t.test('listening logs where the docs are and which database and Redis are used', async (t) => {
  const env = await testEnv(t)
  // A password in DATABASE_URL (PostgreSQL's trust authentication ignores it) must not be logged.
  if (env.DATABASE_URL?.startsWith('postgres') === true) env.DATABASE_URL = env.DATABASE_URL.replace('://postgres@', '://postgres:hunter2-secret@')
  const lines: LogLine[] = []
  const stream = new Writable({
    write (chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') lines.push(JSON.parse(line) as LogLine)
      done()
    }
  })
  const database = env.DATABASE_URL === 'memory://' ? await restoredPglite() : undefined
  const app = await buildApp({ config: loadConfig(env), logger: { level: 'info', stream }, ...(database === undefined ? {} : { database }) })
  t.teardown(() => app.close())
  const address = await app.listen({ host: '127.0.0.1', port: 0 })

  const ready = lines.find((l) => l.msg.startsWith('ready:'))
  if (ready === undefined) throw new Error(`no ready line in ${JSON.stringify(lines.map((l) => l.msg))}`)
  t.equal(ready.docs, `${address}/docs`)
  t.equal((await fetch(ready.docs ?? '')).status, 200, 'the docs are where it says')
  if (env.DATABASE_URL?.startsWith('postgres') === true) {
    t.match(ready.database, /^PostgreSQL at postgres:\/\/127\.0\.0\.1:5432\/t_/, 'the server and database, without the user')
  } else {
    t.match(ready.database, /^embedded PGlite/)
  }
  t.match(ready.redis, env.REDIS_URL === undefined ? /^no Redis/ : /^Redis at redis:\/\/127\.0\.0\.1:6379/)
  t.notMatch(JSON.stringify(lines), /hunter2-secret/, 'no password in any line')
  t.match(ready.msg, `docs at ${address}/docs`)
})

t.test('URLs lose their credentials', async (t) => {
  t.equal(withoutCredentials('redis://:s3cret@cache.internal:6379/2'), 'redis://cache.internal:6379/2')
  t.equal(withoutCredentials('postgres://auth:s3cret@db.internal:5432/auth'), 'postgres://db.internal:5432/auth')
})
