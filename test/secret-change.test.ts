import t from 'tap'
import { randomUUID } from 'node:crypto'
import { calculateJwkThumbprint } from 'jose'
import { bearer, build, registerUser, TEST_JWT_SECRET } from './helpers/app.js'
import { decodeJwt, forgeJwt, hmacSigner } from './helpers/jwt-forge.js'

const NEW_SECRET = 'the-new-shared-secret-of-at-least-32-bytes'
const kidOf = async (secret: string) => await calculateJwkThumbprint({ kty: 'oct', k: Buffer.from(secret).toString('base64url') })

t.test('changing JWT_SECRET: JWT_SECRET_PREVIOUS keeps the old tokens verifying by their kid', async (t) => {
  const app = await build(t, { JWT_SECRET: NEW_SECRET, JWT_SECRET_PREVIOUS: TEST_JWT_SECRET })
  const { session } = await registerUser(app)
  const { header, payload } = decodeJwt(session.access_token)
  t.equal(header.kid, await kidOf(NEW_SECRET), 'the new secret signs')
  const me = (token: string) => app.inject({ url: '/api/v1/users/me', headers: bearer(token) })
  const claims = { ...payload, jti: randomUUID() }
  const oldKid = await kidOf(TEST_JWT_SECRET)

  t.equal((await me(forgeJwt({ alg: 'HS256', typ: 'at+jwt', kid: oldKid }, claims, hmacSigner(TEST_JWT_SECRET)))).statusCode, 200, 'a token of the old secret, by its kid')
  for (const [name, token] of [
    ['the old secret under the new kid', forgeJwt({ alg: 'HS256', typ: 'at+jwt', kid: header.kid }, claims, hmacSigner(TEST_JWT_SECRET))],
    ['the old secret without a kid (only the current secret verifies those)', forgeJwt({ alg: 'HS256', typ: 'at+jwt' }, claims, hmacSigner(TEST_JWT_SECRET))],
    ['a third secret under the old kid', forgeJwt({ alg: 'HS256', typ: 'at+jwt', kid: oldKid }, claims, hmacSigner('a-third-secret-that-is-at-least-32-bytes'))]
  ] as const) {
    const res = await me(token)
    t.equal(res.statusCode, 401, name)
    t.equal(res.json().code, 'invalid_token', name)
  }
  t.equal((await app.inject({ url: '/.well-known/jwks.json' })).json().keys.length, 0, 'shared secrets are never published')
  await t.rejects(build(t, { JWT_SECRET: NEW_SECRET, JWT_SECRET_PREVIOUS: 'short' }), /JWT_SECRET_PREVIOUS must be at least 32 bytes/)
})
