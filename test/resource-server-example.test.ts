import t from 'tap'
import { buildResourceServer } from '../examples/resource-server/server.js'
import { TEST_ENV, TEST_JWT_SECRET } from './helpers/app.js'
import { movableClock, sharedDatabase } from './helpers/instances.js'
import { hmacSigner, forgeJwt, decodeJwt } from './helpers/jwt-forge.js'

t.test('the example resource server verifies access tokens against the JWKS, across a rotation', async (t) => {
  const { start } = await sharedDatabase(t, {}, movableClock())
  const auth = await start()
  const authUrl = await auth.listen({ host: '127.0.0.1', port: 0 })
  const resource = buildResourceServer({ jwksUrl: new URL('/.well-known/jwks.json', authUrl), issuer: TEST_ENV.JWT_ISSUER ?? '', audience: TEST_ENV.JWT_AUDIENCE ?? '' })
  t.teardown(() => resource.close())
  const resourceUrl = await resource.listen({ host: '127.0.0.1', port: 0 })

  const register = await fetch(`${authUrl}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'rs@example.com', username: 'rs_user', password: 'correct horse battery staple' })
  })
  t.equal(register.status, 201)
  const session = await register.json() as { access_token: string, user: { id: string } }
  const hello = (token?: string) => fetch(`${resourceUrl}/hello`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } })

  const ok = await hello(session.access_token)
  t.equal(ok.status, 200)
  t.same(await ok.json(), { hello: session.user.id, roles: ['user'] })

  const { payload } = decodeJwt(session.access_token)
  for (const [name, token] of [
    ['no token', undefined],
    ['an HS256 token, even with the right claims', forgeJwt({ alg: 'HS256', typ: 'at+jwt' }, payload, hmacSigner(TEST_JWT_SECRET))],
    ['a token of another typ', session.access_token.replace(/^[^.]+/, Buffer.from(JSON.stringify({ ...decodeJwt(session.access_token).header, typ: 'JWT' })).toString('base64url'))]
  ] as const) {
    t.equal((await hello(token)).status, 401, name)
  }
  const otherAudience = buildResourceServer({ jwksUrl: new URL('/.well-known/jwks.json', authUrl), issuer: TEST_ENV.JWT_ISSUER ?? '', audience: 'another-service' })
  t.equal((await otherAudience.inject({ url: '/hello', headers: { authorization: `Bearer ${session.access_token}` } })).statusCode, 401, 'a token for another audience')

  // A rotation as `npm run rotate-keys --force` makes it: the new current key was published as next, so the cached JWKS has it.
  await auth.managedKeys?.rotate({ force: true })
  await auth.keyRing.reload()
  const login = await fetch(`${authUrl}/api/v1/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'rs@example.com', password: 'correct horse battery staple' })
  })
  const rotated = await login.json() as { access_token: string }
  t.not(decodeJwt(rotated.access_token).header.kid, decodeJwt(session.access_token).header.kid, 'signed with the new key')
  t.equal((await hello(rotated.access_token)).status, 200, 'the new key verifies')
  t.equal((await hello(session.access_token)).status, 200, 'and so does the retired one, until its tokens expired')
})
