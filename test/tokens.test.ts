import t from 'tap'
import { createPublicKey, generateKeyPairSync, randomUUID, verify, type JsonWebKey } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../src/config.js'
import { calculateJwkThumbprint } from 'jose'
import { resolveStaticKeys, type KeySet } from '../src/services/signing-keys.js'
import { bearer, build, registerUser, TEST_ENV, TEST_JWT_SECRET } from './helpers/app.js'
import { decodeJwt, eddsaSigner, forgeJwt, hmacSigner, noSignature } from './helpers/jwt-forge.js'

const ISSUER = TEST_ENV.JWT_ISSUER ?? ''
const AUDIENCE = TEST_ENV.JWT_AUDIENCE ?? ''
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

t.test('HS256 access tokens', async (t) => {
  const app = await build(t)
  const { session } = await registerUser(app)
  const me = (token: string) => app.inject({ url: '/api/v1/users/me', headers: bearer(token) })
  const { payload: issued } = decodeJwt(session.access_token)
  const sid = String(issued.sid)

  const claims = (overrides: Record<string, unknown> = {}): Record<string, unknown> => {
    const now = Math.floor(Date.now() / 1000)
    return { iss: ISSUER, aud: AUDIENCE, sub: session.user.id, sid, jti: randomUUID(), iat: now, exp: now + 600, roles: ['user'], ...overrides }
  }
  const header = { alg: 'HS256', typ: 'at+jwt' }
  const withSecret = hmacSigner(TEST_JWT_SECRET)

  t.test('the issued token carries the RFC 9068 header and claims, signed with JWT_SECRET as UTF-8 bytes', async (t) => {
    const { header: h, payload, signingInput, signature } = decodeJwt(session.access_token)
    const kid = await calculateJwkThumbprint({ kty: 'oct', k: Buffer.from(TEST_JWT_SECRET).toString('base64url') })
    t.strictSame(h, { alg: 'HS256', typ: 'at+jwt', kid }, 'the kid is the RFC 7638 thumbprint of the secret')
    t.equal(signature, withSecret(signingInput))
    t.strictSame(Object.keys(payload).sort(), ['amr', 'aud', 'client_id', 'exp', 'iat', 'iss', 'jti', 'roles', 'sid', 'sub'])
    t.equal(payload.iss, ISSUER)
    t.equal(payload.aud, AUDIENCE)
    t.equal(payload.sub, session.user.id)
    t.match(payload.sid, UUID)
    t.match(payload.jti, UUID)
    t.strictSame(payload.roles, ['user'])
    const now = Date.now() / 1000
    t.ok(Math.abs(Number(payload.iat) - now) < 5, 'iat is now')
    t.equal(Number(payload.exp) - Number(payload.iat), 900, 'ACCESS_TOKEN_TTL defaults to 15 minutes')
    t.equal(session.expires_in, 900)
    t.equal(session.token_type, 'bearer')
  })

  t.test('each token has its own jti', async (t) => {
    const again = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: session.refresh_token } })
    t.equal(again.statusCode, 200)
    t.not(decodeJwt(again.json().access_token).payload.jti, issued.jti)
  })

  t.test('a token forged with the right secret and claims, without a kid as before kids existed, is accepted (so the rejections below are meaningful)', async (t) => {
    const res = await me(forgeJwt(header, claims(), withSecret))
    t.equal(res.statusCode, 200)
    t.equal(res.json().id, session.user.id)
  })

  const { privateKey: strangerKey } = generateKeyPairSync('ed25519')
  const real = session.access_token.split('.')
  const tampered = [real[0], Buffer.from(JSON.stringify(claims({ roles: ['admin'] }))).toString('base64url'), real[2]].join('.')
  const now = Math.floor(Date.now() / 1000)

  const rejected: Array<[string, string]> = [
    ['alg none', forgeJwt({ alg: 'none', typ: 'at+jwt' }, claims(), noSignature)],
    ['HS256 with another secret', forgeJwt(header, claims(), hmacSigner('another-secret-that-is-at-least-32-bytes'))],
    ['HS256 with the right secret but an unknown kid', forgeJwt({ ...header, kid: 'unknown' }, claims(), withSecret)],
    ['a kid that is not a string', forgeJwt({ ...header, kid: 7 }, claims(), withSecret)],
    ['HS512 with the right secret (algorithm pinned)', forgeJwt({ alg: 'HS512', typ: 'at+jwt' }, claims(), hmacSigner(TEST_JWT_SECRET, 'sha512'))],
    ['EdDSA while HS256 is configured', forgeJwt({ alg: 'EdDSA', typ: 'at+jwt' }, claims(), eddsaSigner(strangerKey))],
    ['typ JWT instead of at+jwt', forgeJwt({ alg: 'HS256', typ: 'JWT' }, claims(), withSecret)],
    ['no typ', forgeJwt({ alg: 'HS256' }, claims(), withSecret)],
    ['wrong iss', forgeJwt(header, claims({ iss: 'https://evil.test' }), withSecret)],
    ['wrong aud', forgeJwt(header, claims({ aud: 'other-clients' }), withSecret)],
    ['expired', forgeJwt(header, claims({ iat: now - 1000, exp: now - 10 }), withSecret)],
    ['not yet valid', forgeJwt(header, claims({ nbf: now + 600 }), withSecret)],
    ['no sid', forgeJwt(header, claims({ sid: undefined }), withSecret)],
    ['no sub', forgeJwt(header, claims({ sub: undefined }), withSecret)],
    ['no jti', forgeJwt(header, claims({ jti: undefined }), withSecret)],
    ['no exp', forgeJwt(header, claims({ exp: undefined }), withSecret)],
    ['roles not an array', forgeJwt(header, claims({ roles: 'admin' }), withSecret)],
    ['amr not an array of strings', forgeJwt(header, claims({ amr: ['pwd', 1] }), withSecret)],
    ['payload changed after signing', tampered],
    ['the refresh token used as a bearer token', session.refresh_token ?? ''],
    ['three dots of garbage', 'a.b.c']
  ]
  for (const [name, token] of rejected) {
    t.test(`rejects ${name} with 401 invalid_token`, async (t) => {
      const res = await me(token)
      t.equal(res.statusCode, 401)
      t.match(res.json(), { status: 401, code: 'invalid_token' })
      t.match(res.headers['www-authenticate'], /^Bearer error="invalid_token"/)
      t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
    })
  }

  t.test('a well-signed token of an account that does not exist is not served', async (t) => {
    const res = await me(forgeJwt(header, claims({ sub: randomUUID(), sid: randomUUID() }), withSecret))
    t.equal(res.statusCode, 401)
    t.equal(res.json().code, 'token_revoked')
  })

  t.test('with HS256 the JWKS has no keys', async (t) => {
    const res = await app.inject({ url: '/.well-known/jwks.json' })
    t.equal(res.statusCode, 200)
    t.strictSame(res.json(), { keys: [] })
  })
})

t.test('EdDSA access tokens from JWT_PRIVATE_KEY, published in the JWKS', async (t) => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  // A one-line PEM with literal \n, as .env files and container secrets often carry it.
  const app = await build(t, { JWT_ALGORITHM: 'EdDSA', JWT_PRIVATE_KEY: pem.replaceAll('\n', '\\n') })
  const { session } = await registerUser(app)
  const { header, payload, signingInput, signature } = decodeJwt(session.access_token)

  const jwks = await app.inject({ url: '/.well-known/jwks.json' })
  t.equal(jwks.statusCode, 200)
  const keys = jwks.json<{ keys: Array<JsonWebKey & { kid: string }> }>().keys
  t.equal(keys.length, 1)
  const [jwk] = keys
  t.match(jwk, { kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig', x: publicKey.export({ format: 'jwk' }).x })
  t.notOk(jwk !== undefined && 'd' in jwk, 'the private part is never published')

  t.strictSame(header, { alg: 'EdDSA', typ: 'at+jwt', kid: jwk?.kid })
  t.equal(payload.sub, session.user.id)
  const published = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' })
  t.ok(verify(null, Buffer.from(signingInput), published, Buffer.from(signature, 'base64url')), 'the published key verifies the token')

  const me = (token: string) => app.inject({ url: '/api/v1/users/me', headers: bearer(token) })
  t.equal((await me(session.access_token)).statusCode, 200)

  const now = Math.floor(Date.now() / 1000)
  const claims = { ...payload, jti: randomUUID(), iat: now, exp: now + 600 }
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString()
  for (const [name, token] of [
    ['HS256 signed with the public key as the secret (algorithm confusion)', forgeJwt({ alg: 'HS256', typ: 'at+jwt' }, claims, hmacSigner(publicPem))],
    ['HS256 signed with JWT_SECRET', forgeJwt({ alg: 'HS256', typ: 'at+jwt' }, claims, hmacSigner(TEST_JWT_SECRET))],
    ['EdDSA signed with another key', forgeJwt({ alg: 'EdDSA', typ: 'at+jwt', kid: jwk?.kid }, claims, eddsaSigner(generateKeyPairSync('ed25519').privateKey))]
  ] as const) {
    const res = await me(token)
    t.equal(res.statusCode, 401, name)
    t.equal(res.json().code, 'invalid_token', name)
  }
})

t.test('signing keys for RS256 and ES256, from PEM files, with explicit public keys', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'auth-keys-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const notices = { warn: () => t.fail('no warning expected') }

  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const rsaFile = join(dir, 'rsa.pem')
  await writeFile(rsaFile, rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }))
  const staticKeys = async (env: Record<string, string>): Promise<KeySet> => {
    const keys = await resolveStaticKeys(loadConfig({ ...TEST_ENV, ...env }), notices)
    if (keys === undefined) throw new Error('expected a static key')
    return keys
  }
  const rs = await staticKeys({ JWT_ALGORITHM: 'RS256', JWT_PRIVATE_KEY: rsaFile })
  t.equal(rs.signing.alg, 'RS256')
  t.match(rs.verification.map((k) => k.publicJwk), [{ kty: 'RSA', alg: 'RS256', use: 'sig', kid: rs.signing.kid, n: String, e: 'AQAB' }])
  t.equal((await staticKeys({ JWT_PRIVATE_KEY: rsaFile })).signing.alg, 'RS256', 'JWT_ALGORITHM may be left out: the key says it')

  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const ecPublicFile = join(dir, 'ec-public.pem')
  await writeFile(ecPublicFile, ec.publicKey.export({ type: 'spki', format: 'pem' }))
  const es = await staticKeys({
    JWT_ALGORITHM: 'ES256',
    JWT_PRIVATE_KEY: ec.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    JWT_PUBLIC_KEY: ecPublicFile
  })
  t.match(es.verification.map((k) => k.publicJwk), [{ kty: 'EC', crv: 'P-256', alg: 'ES256', kid: es.signing.kid, x: String, y: String }])
  t.not(es.signing.kid, rs.signing.kid)

  const again = await staticKeys({ JWT_ALGORITHM: 'RS256', JWT_PRIVATE_KEY: rsaFile })
  t.equal(again.signing.kid, rs.signing.kid, 'the kid is a thumbprint of the key, stable across restarts')

  await t.rejects(staticKeys({ JWT_ALGORITHM: 'EdDSA', JWT_PRIVATE_KEY: rsaFile }), /JWT_ALGORITHM=EdDSA does not fit JWT_PRIVATE_KEY, an RS256 key/)
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  await t.rejects(staticKeys({ JWT_PRIVATE_KEY: p384 }), /use Ed25519, EC P-256 or RSA/)
  t.equal(await resolveStaticKeys(loadConfig({ ...TEST_ENV, JWT_ALGORITHM: 'EdDSA' }), notices), undefined, 'EdDSA without a private key: managed keys')
})
