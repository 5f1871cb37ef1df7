import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setImmediate } from 'node:timers/promises'
import { rotateKeysCommand } from '../src/cli/rotate-keys-command.js'
import type { App } from '../src/app.js'
import { bearer, realDatabaseUrl, registerUser, TEST_PASSWORD } from './helpers/app.js'
import { movableClock, sharedDatabase } from './helpers/instances.js'
import { decodeJwt } from './helpers/jwt-forge.js'

const kidOf = (token: string) => decodeJwt(token).header.kid
const me = (app: App, token: string) => app.inject({ url: '/api/v1/users/me', headers: bearer(token) })
const published = async (app: App) => (await app.inject({ url: '/.well-known/jwks.json' })).json<{ keys: Array<{ kid: string }> }>().keys.map((k) => k.kid).sort()
const login = async (app: App, email: string) => {
  const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: TEST_PASSWORD } })
  if (res.statusCode !== 200) throw new Error(`login: ${res.statusCode}`)
  return res.json<{ access_token: string }>().access_token
}
// JWKS_MAX_AGE + JWT_KEYS_REFRESH of the defaults, and a second more.
const SAFE_WAIT = 300 + 60 + 1

t.test('rotation under traffic on two instances: no request fails', async (t) => {
  const clock = movableClock()
  const { start } = await sharedDatabase(t, {}, clock)
  const [a, b] = await Promise.all([start(), start()])
  if (a === undefined || b === undefined) throw new Error('no apps')
  const user = await registerUser(a)
  const before = user.session.access_token
  const oldKid = kidOf(before)

  const statuses: number[] = []
  const tokens = [before]
  const traffic = { running: true }
  const done = (async () => {
    while (traffic.running) {
      const results = await Promise.all([a, b].flatMap((app) => tokens.slice(-2).map((token) => me(app, token))))
      statuses.push(...results.map((r) => r.statusCode))
      // Served from caches, a round may never leave the microtask queue: let I/O (a login's hash) in.
      await setImmediate()
    }
  })()

  clock.advance(SAFE_WAIT)
  const rotation = await a.managedKeys?.rotate()
  await a.keyRing.reload()
  t.equal(rotation?.retired, oldKid)
  const fromA = await login(a, user.email)
  t.equal(kidOf(fromA), rotation?.current, 'new tokens of the rotating instance carry the new kid')
  t.not(kidOf(fromA), oldKid)
  tokens.push(fromA)
  t.equal((await me(b, fromA)).statusCode, 200, 'the other instance already had the new key (it was published as next)')

  await b.maintainSigningKeys()
  const fromB = await login(b, user.email)
  t.equal(kidOf(fromB), rotation?.current, 'the other instance signs with the new key after its refresh')
  tokens.push(fromB)
  for (const app of [a, b]) t.equal((await me(app, before)).statusCode, 200, 'a token signed before the rotation still verifies')
  t.same(await published(a), await published(b))
  t.equal((await published(a)).length, 3, 'retired, current and the new next key')

  traffic.running = false
  await done
  t.ok(statuses.length >= 8, `traffic ran (${statuses.length} requests)`)
  t.same([...new Set(statuses)], [200], 'every request during the rotation succeeded')
})

t.test('auto rotation (JWT_KEY_ROTATION_DAYS) with an injected clock: one instance rotates, once', async (t) => {
  const clock = movableClock()
  const { start } = await sharedDatabase(t, { JWT_KEY_ROTATION_DAYS: '1' }, clock)
  const [a, b] = await Promise.all([start(), start()])
  if (a === undefined || b === undefined) throw new Error('no apps')
  const initial = await published(a)
  clock.advance(86_400 - 10)
  await Promise.all([a.maintainSigningKeys(), b.maintainSigningKeys()])
  t.same(await published(a), initial, 'not yet due')

  clock.advance(20)
  await Promise.all([a.maintainSigningKeys(), b.maintainSigningKeys()])
  const states = (await a.db.selectFrom('signing_keys').select('state').execute()).map((r) => r.state).sort()
  t.same(states, ['current', 'next', 'retired'], 'rotated once, although both instances found it due')
  t.same(await published(a), await published(b))
  const { session } = await registerUser(b)
  const current = await a.db.selectFrom('signing_keys').select('kid').where('state', '=', 'current').executeTakeFirstOrThrow()
  t.equal(kidOf(session.access_token), current.kid)
})

t.test('a retired key is published until ACCESS_TOKEN_TTL (+ JWT_KEYS_REFRESH) after its retirement, then deleted', async (t) => {
  const clock = movableClock()
  const { start } = await sharedDatabase(t, {}, clock)
  const a = await start()
  const { session } = await registerUser(a)
  clock.advance(SAFE_WAIT)
  const rotation = await a.managedKeys?.rotate()
  clock.advance(900 + 60 - 1)
  await a.maintainSigningKeys()
  t.ok((await published(a)).includes(rotation?.retired ?? ''), 'still published')
  t.equal((await me(a, session.access_token)).statusCode, 200)

  clock.advance(2)
  await a.maintainSigningKeys()
  t.notOk((await published(a)).includes(rotation?.retired ?? ''), 'no longer published')
  t.equal((await a.db.selectFrom('signing_keys').select('kid').where('kid', '=', rotation?.retired ?? '').execute()).length, 0, 'deleted')
  clock.advance(5)
  const res = await me(a, session.access_token)
  t.equal(res.statusCode, 401, 'its tokens no longer verify')
  t.equal(res.json().code, 'invalid_token')
})

t.test('an unknown kid reloads the keys at once, but at most every 5 s', async (t) => {
  const clock = movableClock()
  const { start } = await sharedDatabase(t, {}, clock)
  const [a, b] = await Promise.all([start(), start()])
  if (a === undefined || b === undefined) throw new Error('no apps')
  const user = await registerUser(a)
  const rotateTwice = async () => {
    await a.managedKeys?.rotate({ force: true })
    await a.managedKeys?.rotate({ force: true })
    await a.keyRing.reload()
    return await login(a, user.email)
  }
  const unseen = await rotateTwice()
  t.equal((await me(b, unseen)).statusCode, 200, 'b met a kid it had not loaded: it reloaded and verified')
  const tooSoon = await rotateTwice()
  clock.advance(4)
  t.equal((await me(b, tooSoon)).statusCode, 401, 'within 5 s of the last reload: no reload, 401')
  clock.advance(1)
  t.equal((await me(b, tooSoon)).statusCode, 200, '5 s later it reloads again')
})

t.test('npm run rotate-keys: the safety refusal, --force, and configurations it does not apply to', async (t) => {
  const clock = movableClock()
  const out = { logs: [] as string[], errors: [] as string[] }
  const output = { log: (m: string) => out.logs.push(m), error: (m: string) => out.errors.push(m) }
  let env: Record<string, string>
  let app: App
  if (realDatabaseUrl === undefined) {
    // The command opens the database itself: an embedded one in a DATA_DIR, with the server stopped.
    const dir = await mkdtemp(join(tmpdir(), 'auth-rotate-'))
    t.teardown(() => rm(dir, { recursive: true, force: true }))
    const instances = await sharedDatabase(t, { DATABASE_URL: '', DATA_DIR: dir }, clock)
    env = instances.env
    app = await instances.start()
    await app.close()
  } else {
    const instances = await sharedDatabase(t, {}, clock)
    env = instances.env
    app = await instances.start()
  }
  const run = (args: string[]) => rotateKeysCommand(args, { env, out: output, now: clock.now })

  t.equal(await run([]), 1, 'the next key was published a moment ago')
  t.match(out.errors.at(-1), /refused: the next key has been published for too short a time: verifiers may not have it yet; wait 360 s or use --force/)
  clock.advance(300)
  t.equal(await run([]), 1)
  t.match(out.errors.at(-1), /wait 60 s/)
  clock.advance(60)
  t.equal(await run([]), 0, 'published for JWKS_MAX_AGE + JWT_KEYS_REFRESH: rotates')
  t.match(out.logs.at(-2), /^Rotated the signing keys: \S+ now signs, \S+ is retired, \S+ is the next key\.$/)
  t.equal(await run([]), 1, 'the new next key is young again')
  t.equal(await run(['--force']), 0, '--force overrides')

  t.equal(await run(['--help']), 0)
  t.match(out.logs.at(-1), /^Usage: npm run rotate-keys/)
  t.equal(await run(['--bogus']), 2)
  t.equal(await rotateKeysCommand([], { env: { ...env, JWT_SECRET: 'a-shared-secret-that-is-at-least-32-bytes' }, out: output }), 1)
  t.match(out.errors.at(-1), /not managed by the service/)
  t.equal(await rotateKeysCommand(['--force'], { env: { ...env, JWT_KEY_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64') }, out: output }), 1)
  t.match(out.errors.at(-1), /cannot be opened/, 'a wrong encryption key rotates nothing')
})
