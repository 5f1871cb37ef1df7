import t, { type Test } from 'tap'
import { sql } from 'kysely'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildApp } from '../src/app.js'
import { corsOrigins, hashConcurrency, loadConfig, parseTrustProxy } from '../src/config.js'
import { resolveStaticKeys } from '../src/services/signing-keys.js'
import { decodeJwt } from './helpers/jwt-forge.js'
import { build, registerUser, TEST_ENV, TEST_PASSWORD } from './helpers/app.js'
import { restoredPglite } from './helpers/pglite-template.js'

async function tempDir (t: Test, prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

t.test('loadConfig gives the documented defaults', async (t) => {
  const config = loadConfig({})
  t.match(config, {
    NODE_ENV: 'development',
    HOST: '0.0.0.0',
    PORT: 3000,
    LOG_LEVEL: 'info',
    DATA_DIR: './data',
    ACCESS_TOKEN_TTL: 900,
    REFRESH_TOKEN_TTL: 604800,
    SESSION_MAX_AGE: 2592000,
    REFRESH_REUSE_GRACE_SECONDS: 10,
    COOKIE_SECURE: true,
    COOKIE_SAMESITE: 'strict',
    CORS_ORIGINS: '',
    TRUST_PROXY: 'false',
    RATE_LIMIT_MAX: 60,
    RATE_LIMIT_REGISTER_MAX: 5,
    RATE_LIMIT_LOGIN_MAX: 10,
    RATE_LIMIT_REFRESH_MAX: 20,
    RATE_LIMIT_FORGOT_MAX: 5,
    PASSWORD_MIN_LENGTH: 8,
    ARGON2_MEMORY_KIB: 19456,
    ARGON2_TIME_COST: 2,
    ARGON2_PARALLELISM: 1
  })
  for (const key of ['DATABASE_URL', 'REDIS_URL', 'JWT_SECRET', 'JWT_ALGORITHM', 'JWT_PRIVATE_KEY', 'SMTP_URL'] as const) {
    t.equal(config[key], undefined, `${key} is unset by default`)
  }
})

t.test('loadConfig coerces text to numbers and booleans, and treats empty values as unset', async (t) => {
  const config = loadConfig({ PORT: '8080', ACCESS_TOKEN_TTL: '60', COOKIE_SECURE: 'false', REFRESH_REUSE_GRACE_SECONDS: '0', HOST: '', JWT_SECRET: '' })
  t.equal(config.PORT, 8080)
  t.equal(config.ACCESS_TOKEN_TTL, 60)
  t.equal(config.COOKIE_SECURE, false)
  t.equal(config.REFRESH_REUSE_GRACE_SECONDS, 0)
  t.equal(config.HOST, '0.0.0.0')
  t.equal(config.JWT_SECRET, undefined)
  t.equal(loadConfig({ DATABASE_URL: 'postgresql://u@db/auth' }).DATABASE_URL, 'postgresql://u@db/auth')
  t.equal(loadConfig({ REDIS_URL: 'rediss://cache:6380' }).REDIS_URL, 'rediss://cache:6380')
})

t.test('loadConfig refuses bad values and names them', async (t) => {
  const bad: Array<[string, string]> = [
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://x'],
    ['REDIS_URL', 'http://cache'],
    ['JWT_ALGORITHM', 'HS512'],
    ['COOKIE_SAMESITE', 'sometimes'],
    ['COOKIE_SECURE', 'maybe'],
    ['ACCESS_TOKEN_TTL', '0'],
    ['REFRESH_TOKEN_TTL', '1.5'],
    ['NODE_ENV', 'staging'],
    ['LOG_LEVEL', 'loud'],
    ['BODY_LIMIT', '10'],
    ['PASSWORD_MIN_LENGTH', '4']
  ]
  for (const [key, value] of bad) {
    t.throws(() => loadConfig({ [key]: value }), new RegExp(key), `${key}=${value}`)
  }
})

t.test('loadConfig reads .env when asked, and the environment wins over it', async (t) => {
  const dir = await tempDir(t, 'auth-dotenv-')
  await writeFile(join(dir, '.env'), 'PORT=4321\nJWT_ISSUER=from-dotenv\n')
  const cwd = process.cwd()
  process.chdir(dir)
  try {
    const config = loadConfig({ JWT_ISSUER: 'from-env' }, { dotenv: true })
    t.equal(config.PORT, 4321)
    t.equal(config.JWT_ISSUER, 'from-env')
    t.equal(loadConfig({}).PORT, 3000, 'not read unless asked (tests never pick up a stray .env)')
  } finally {
    process.chdir(cwd)
  }
})

t.test('NODE_ENV=production only changes the defaults of the strict settings', async (t) => {
  t.match(loadConfig({}), { GENERATE_MISSING_SECRETS: true, LOG_MAIL_BODIES: true }, 'lenient outside production')
  t.match(loadConfig({ NODE_ENV: 'production', MAIL_LOG: 'true' }), { GENERATE_MISSING_SECRETS: false, LOG_MAIL_BODIES: false }, 'strict in production')
  t.match(loadConfig({ NODE_ENV: 'production', MAIL_LOG: 'true', GENERATE_MISSING_SECRETS: 'true', LOG_MAIL_BODIES: 'true' }),
    { GENERATE_MISSING_SECRETS: true, LOG_MAIL_BODIES: true }, 'set explicitly, they win')
  t.match(loadConfig({ GENERATE_MISSING_SECRETS: 'false' }), { NODE_ENV: 'development', GENERATE_MISSING_SECRETS: false }, 'and outside production too')
})

t.test('parseTrustProxy, corsOrigins and hashConcurrency', async (t) => {
  t.equal(parseTrustProxy('true'), true)
  t.equal(parseTrustProxy(' TRUE '), true)
  t.equal(parseTrustProxy('false'), false)
  t.equal(parseTrustProxy(''), false)
  const hops = parseTrustProxy('2')
  t.type(hops, 'function')
  if (typeof hops === 'function') {
    t.ok(hops('10.0.0.1', 0))
    t.ok(hops('10.0.0.1', 1))
    t.notOk(hops('10.0.0.1', 2), 'no further than the configured number of hops')
  }
  t.equal(parseTrustProxy('10.0.0.0/8,127.0.0.1'), '10.0.0.0/8,127.0.0.1')

  t.strictSame(corsOrigins(loadConfig({ CORS_ORIGINS: ' https://a.test, ,https://b.test ' })), ['https://a.test', 'https://b.test'])
  t.strictSame(corsOrigins(loadConfig({})), [])
  t.equal(hashConcurrency(loadConfig({})), availableParallelism())
  t.equal(hashConcurrency(loadConfig({ HASH_CONCURRENCY: '3' })), 3)
})

t.test('TRUST_PROXY decides whether X-Forwarded-For is believed', async (t) => {
  const [trusting, defaults] = await Promise.all([build(t, { TRUST_PROXY: '127.0.0.1' }), build(t)])
  for (const [app, expected] of [[trusting, '203.0.113.7'], [defaults, '127.0.0.1']] as const) {
    const { username } = await registerUser(app)
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'x-forwarded-for': '203.0.113.7', 'user-agent': 'config-test' },
      payload: { username, password: TEST_PASSWORD }
    })
    t.equal(res.statusCode, 200)
    const row = await app.db.selectFrom('sessions').select(['ip', 'user_agent'])
      .where('user_id', '=', res.json().user.id).where('user_agent', '=', 'config-test').executeTakeFirstOrThrow()
    t.equal(row.ip, expected)
  }
})

t.test('signing secrets: production refuses to start without a strong one', async (t) => {
  const production = { ...TEST_ENV, NODE_ENV: 'production', MAIL_LOG: 'true', DATABASE_URL: 'memory://' }
  const refused = async (env: Record<string, string | undefined>, expected: RegExp, message: string) => {
    const database = await restoredPglite()
    await t.rejects(buildApp({ config: loadConfig(env), database }), expected, message)
    await t.rejects(sql`select 1`.execute(database.db), `${message}: the failed build closed the database it had opened`)
  }
  await refused({ ...production, JWT_SECRET: undefined, JWT_ALGORITHM: 'HS256' }, /JWT_SECRET/, 'HS256 without a secret in production')
  await refused({ ...production, JWT_SECRET: 'too-short' }, /at least 32 bytes/, 'a short secret')

  const notices = { warn: () => t.fail('no notice expected') }
  await t.rejects(resolveStaticKeys(loadConfig({ JWT_SECRET: 'é'.repeat(15) }), notices), /32 bytes/, '30 bytes in 15 characters')
  t.equal((await resolveStaticKeys(loadConfig({ JWT_SECRET: 'é'.repeat(16) }), notices))?.signing.alg, 'HS256', 'bytes are counted, not characters')
  const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  const pair = await resolveStaticKeys(loadConfig({ NODE_ENV: 'production', MAIL_LOG: 'true', JWT_ALGORITHM: 'EdDSA', JWT_PRIVATE_KEY: pem }), notices)
  t.equal(pair?.signing.alg, 'EdDSA', 'a key pair is enough in production')
})

t.test('signing secrets: development generates one in DATA_DIR and reuses it', async (t) => {
  const dir = join(await tempDir(t, 'auth-data-'), 'data')
  const overrides = { NODE_ENV: 'development', JWT_SECRET: '', JWT_ALGORITHM: 'HS256', DATA_DIR: dir }
  const first = await build(t, overrides)
  const file = join(dir, 'jwt-secret')
  const secret = await readFile(file, 'utf8')
  t.ok(Buffer.byteLength(secret) >= 32, 'a strong secret')
  t.equal((await stat(file)).mode & 0o777, 0o600, 'readable by the owner only')
  t.equal(decodeJwt(first.accessTokens.issue('00000000-0000-4000-8000-000000000000', '00000000-0000-4000-8000-000000000001', [], ['pwd']).token).header.alg, 'HS256')
  t.equal((await stat(dir)).mode & 0o777, 0o700, 'DATA_DIR is created for the owner only')

  const second = await build(t, overrides)
  t.equal(await readFile(file, 'utf8'), secret, 'the file is not rewritten')
  const issued = first.accessTokens.issue('00000000-0000-4000-8000-000000000000', '00000000-0000-4000-8000-000000000001', ['user'], ['pwd'])
  t.equal((await second.accessTokens.verify(issued.token)).sub, '00000000-0000-4000-8000-000000000000', 'tokens survive a restart')
})
