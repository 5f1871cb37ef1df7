import t from 'tap'
import { jwtVerify } from 'jose'
import { build, registerUser, TEST_ENV, TEST_JWT_SECRET } from './helpers/app.js'

// RFC 9068 §2.2 lists the claims a JWT access token must carry; strict resource servers
// (oauth4webapi's validateJwtAccessToken among them) refuse a token that lacks any of them.
const RFC_9068_CLAIMS = ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti']

async function verifiedClaims (token: string) {
  const { payload, protectedHeader } = await jwtVerify(token, new TextEncoder().encode(TEST_JWT_SECRET), {
    typ: 'at+jwt',
    issuer: TEST_ENV.JWT_ISSUER ?? '',
    audience: TEST_ENV.JWT_AUDIENCE ?? '',
    requiredClaims: RFC_9068_CLAIMS
  })
  return { payload, protectedHeader }
}

t.test('access tokens carry every RFC 9068 claim, client_id included', async (t) => {
  const app = await build(t)
  const { session } = await registerUser(app)
  const { payload } = await verifiedClaims(session.access_token)
  t.equal(payload.client_id, 'auth-service', 'JWT_CLIENT_ID defaults to auth-service')

  const refreshed = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: session.refresh_token } })
  t.equal(refreshed.statusCode, 200)
  t.equal((await verifiedClaims(refreshed.json().access_token)).payload.client_id, 'auth-service', 'a refreshed token too')
})

t.test('JWT_CLIENT_ID names the client', async (t) => {
  const app = await build(t, { JWT_CLIENT_ID: 'spa-web' })
  const { username } = await registerUser(app)
  const token = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ grant_type: 'password', username, password: 'correct horse battery staple' }).toString()
  })
  t.equal(token.statusCode, 200)
  t.equal((await verifiedClaims(token.json().access_token)).payload.client_id, 'spa-web')
})
