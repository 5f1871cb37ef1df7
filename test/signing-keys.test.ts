import t from 'tap'
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto'
import { bearer, registerUser, TEST_ENV } from './helpers/app.js'
import { sharedDatabase, movableClock } from './helpers/instances.js'
import { decodeJwt, eddsaSigner, forgeJwt, hmacSigner } from './helpers/jwt-forge.js'

interface Jwk { kid: string, kty: string, alg: string, use: string, crv?: string, x?: string, n?: string, e?: string, d?: string }

t.test('managed EdDSA keys by default: a current and a next key, published, sealed at rest', async (t) => {
  const { start } = await sharedDatabase(t, {}, movableClock())
  const app = await start()
  const jwks = await app.inject({ url: '/.well-known/jwks.json' })
  t.equal(jwks.statusCode, 200)
  t.equal(jwks.headers['cache-control'], 'public, max-age=300')
  t.equal(jwks.headers['x-ratelimit-limit'], undefined, '/.well-known is not rate limited')
  const keys = jwks.json<{ keys: Jwk[] }>().keys
  t.equal(keys.length, 2, 'current and next')
  for (const key of keys) {
    t.match(key, { kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig', kid: String, x: String })
    t.notOk('d' in key, 'no private part')
  }

  const rows = await app.db.selectFrom('signing_keys').selectAll().execute()
  t.same(rows.map((r) => r.state).sort(), ['current', 'next'])
  for (const row of rows) {
    t.match(row.private_key, /^sb1\./, 'sealed by the secret box')
    t.notMatch(row.private_key, /PRIVATE KEY/)
  }
  const current = rows.find((r) => r.state === 'current')

  const { session } = await registerUser(app)
  const { header, payload } = decodeJwt(session.access_token)
  t.strictSame(header, { alg: 'EdDSA', typ: 'at+jwt', kid: current?.kid }, 'the current key signs')
  const me = (token: string) => app.inject({ url: '/api/v1/users/me', headers: bearer(token) })
  t.equal((await me(session.access_token)).statusCode, 200)

  const now = Math.floor(Date.now() / 1000)
  const claims = { ...payload, jti: randomUUID(), iat: now, exp: now + 600 }
  const next = rows.find((r) => r.state === 'next')
  for (const [name, token] of [
    ['HS256 with the published key as the secret', forgeJwt({ alg: 'HS256', typ: 'at+jwt', kid: current?.kid }, claims, hmacSigner(JSON.stringify(current?.public_jwk)))],
    ['HS256 with JWT_SECRET of the tests', forgeJwt({ alg: 'HS256', typ: 'at+jwt', kid: current?.kid }, claims, hmacSigner(TEST_ENV.JWT_SECRET ?? ''))],
    ['EdDSA with another key under the current kid', forgeJwt({ alg: 'EdDSA', typ: 'at+jwt', kid: current?.kid }, claims, eddsaSigner(generateKeyPairSync('ed25519').privateKey))],
    ['EdDSA with another key under the next kid', forgeJwt({ alg: 'EdDSA', typ: 'at+jwt', kid: next?.kid }, claims, eddsaSigner(generateKeyPairSync('ed25519').privateKey))],
    ['no kid', forgeJwt({ alg: 'EdDSA', typ: 'at+jwt' }, claims, eddsaSigner(generateKeyPairSync('ed25519').privateKey))],
    ['an unknown kid', forgeJwt({ alg: 'EdDSA', typ: 'at+jwt', kid: 'forged' }, claims, eddsaSigner(generateKeyPairSync('ed25519').privateKey))]
  ] as const) {
    const res = await me(token)
    t.equal(res.statusCode, 401, name)
    t.equal(res.json().code, 'invalid_token', name)
  }
})

t.test('JWT_ALGORITHM=ES256 and RS256 manage keys of that type', async (t) => {
  for (const [alg, shape] of [['ES256', { kty: 'EC', crv: 'P-256', x: String, y: String }], ['RS256', { kty: 'RSA', n: String, e: 'AQAB' }]] as const) {
    const { start } = await sharedDatabase(t, { JWT_ALGORITHM: alg }, movableClock())
    const app = await start()
    const keys = (await app.inject({ url: '/.well-known/jwks.json' })).json<{ keys: Jwk[] }>().keys
    t.equal(keys.length, 2)
    for (const key of keys) t.match(key, { ...shape, alg, use: 'sig' }, alg)
    const { session } = await registerUser(app)
    t.equal(decodeJwt(session.access_token).header.alg, alg)
    t.equal((await app.inject({ url: '/api/v1/users/me', headers: bearer(session.access_token) })).statusCode, 200, alg)
  }
})

t.test('instances starting together on one database agree on one current and one next key', async (t) => {
  const { start } = await sharedDatabase(t, {}, movableClock())
  const apps = await Promise.all([start(), start(), start()])
  const sets = await Promise.all(apps.map(async (app) => (await app.inject({ url: '/.well-known/jwks.json' })).json<{ keys: Jwk[] }>().keys.map((k) => k.kid).sort()))
  t.same(sets[1], sets[0])
  t.same(sets[2], sets[0])
  const [first] = apps
  if (first === undefined) throw new Error('no app')
  t.equal((await first.db.selectFrom('signing_keys').select('kid').execute()).length, 2, 'two keys, not six')
  const { session } = await registerUser(first)
  for (const app of apps) t.equal((await app.inject({ url: '/api/v1/users/me', headers: bearer(session.access_token) })).statusCode, 200)
})

t.test('keys sealed under another JWT_KEY_ENCRYPTION_KEY: a clear start-up error', async (t) => {
  const { start } = await sharedDatabase(t, {}, movableClock())
  await start()
  await t.rejects(start({ JWT_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64') }),
    /the private signing key \S+ cannot be opened \(the value was sealed under another encryption key .*\): JWT_KEY_ENCRYPTION_KEY must be the key it was sealed with/)
})
