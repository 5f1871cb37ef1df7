import { createHash } from 'node:crypto'
import t, { type Test } from 'tap'
import { SignJWT } from 'jose'
import { build } from './helpers/app.js'
import { CLIENT_ID, signingKey, startIdentityProvider } from './helpers/identity-provider.js'
import { idTokenSignIn } from './helpers/oauth-client.js'

t.test('native ID-token sign-in', async (t) => {
  const idp = await startIdentityProvider(t)
  const app = await build(t, { OIDC_PROVIDERS: 'acme', OIDC_REFETCH_INTERVAL: '0', ...idp.env('acme') })
  idp.accounts.set('native-sub', { email: 'native@example.com', email_verified: true, name: 'Nat' })
  const signIn = (payload: object) => idTokenSignIn(app, 'acme', payload)
  const rejected = async (t: Test, payload: object, why: string) => {
    const res = await signIn(payload)
    t.equal(res.statusCode, 401, why)
    t.equal(res.json().code, 'invalid_id_token', why)
    t.match(res.headers['content-type'], /^application\/problem\+json/)
  }

  t.test('a token signed by the provider\'s key signs in', async (t) => {
    const res = await signIn({ id_token: await idp.idToken('native-sub') })
    t.equal(res.statusCode, 200, res.body)
    t.equal(res.headers['cache-control'], 'no-store')
    t.equal(res.json().user.email, 'native@example.com')
    const again = await signIn({ id_token: await idp.idToken('native-sub') })
    t.equal(again.json().user.id, res.json().user.id, 'a linked identity signs in to its account')
    const claims = JSON.parse(Buffer.from(String(res.json().access_token).split('.')[1] ?? '', 'base64url').toString('utf8'))
    t.strictSame(claims.amr, ['fed'])
  })

  t.test('an account with a second factor answers mfa_required', async (t) => {
    idp.accounts.set('mfa-sub', { email: 'mfa@example.com', email_verified: true })
    const first = await signIn({ id_token: await idp.idToken('mfa-sub') })
    await app.db.insertInto('mfa_totp').values({ user_id: first.json().user.id, secret_sealed: 'sealed', confirmed_at: new Date() }).execute()
    const res = await signIn({ id_token: await idp.idToken('mfa-sub') })
    t.equal(res.statusCode, 401)
    t.equal(res.json().code, 'mfa_required')
    t.type(res.json().mfa_token, 'string')
  })

  t.test('every client id is an accepted audience', async (t) => {
    t.equal((await signIn({ id_token: await idp.idToken('native-sub', { aud: CLIENT_ID }) })).statusCode, 200, 'the web client id')
    t.equal((await signIn({ id_token: await idp.idToken('native-sub', { aud: ['other', CLIENT_ID] }) })).statusCode, 200, 'among several')
    await rejected(t, { id_token: await idp.idToken('native-sub', { aud: 'someone-else' }) }, 'another client\'s token')
  })

  t.test('the nonce is the one given or its SHA-256 hex', async (t) => {
    const nonce = 'a-nonce-the-app-made'
    const hashed = createHash('sha256').update(nonce).digest('hex')
    t.equal((await signIn({ id_token: await idp.idToken('native-sub', { nonce }), nonce })).statusCode, 200, 'equal')
    t.equal((await signIn({ id_token: await idp.idToken('native-sub', { nonce: hashed }), nonce })).statusCode, 200, 'hashed')
    await rejected(t, { id_token: await idp.idToken('native-sub', { nonce: 'another' }), nonce }, 'a different nonce')
    await rejected(t, { id_token: await idp.idToken('native-sub'), nonce }, 'a token without one when one is expected')
  })

  t.test('iss, exp and the signature are checked', async (t) => {
    await rejected(t, { id_token: await idp.idToken('native-sub', { iss: 'https://evil.example' }) }, 'another issuer')
    await rejected(t, { id_token: await idp.idToken('native-sub', {}, { expiresIn: Math.floor(Date.now() / 1000) - 120 }) }, 'expired')
    const stranger = await signingKey(idp.key.kid)
    await rejected(t, { id_token: await idp.idToken('native-sub', {}, { key: stranger }) }, 'the provider\'s kid, another key')
    await rejected(t, { id_token: await idp.idToken('native-sub', {}, { key: await signingKey('unpublished') }) }, 'a key the provider never published')
    const hs = await new SignJWT({ sub: 'native-sub' }).setProtectedHeader({ alg: 'HS256', kid: idp.key.kid })
      .setIssuer(idp.issuer).setAudience(CLIENT_ID).setIssuedAt().setExpirationTime('5m').sign(new TextEncoder().encode('x'.repeat(32)))
    await rejected(t, { id_token: hs }, 'a shared-secret algorithm')
    const [header = '', payload = ''] = (await idp.idToken('native-sub')).split('.')
    await rejected(t, { id_token: `${header}.${payload}.` }, 'no signature')
    await rejected(t, { id_token: 'not.a.jwt' }, 'garbage')
  })

  t.test('a key published after the JWKS was cached is fetched for its kid', async (t) => {
    t.equal((await signIn({ id_token: await idp.idToken('native-sub') })).statusCode, 200, 'the JWKS is cached')
    const rotated = await signingKey('rotated-key')
    idp.extraKeys.push(rotated.publicJwk)
    t.equal((await signIn({ id_token: await idp.idToken('native-sub', {}, { key: rotated }) })).statusCode, 200)
  })

  t.test('names and bodies', async (t) => {
    const unknown = await idTokenSignIn(app, 'nope', { id_token: await idp.idToken('native-sub') })
    t.equal(unknown.statusCode, 404)
    t.equal(unknown.json().code, 'unknown_provider')
    t.equal((await signIn({})).json().code, 'validation_failed')
    t.equal((await signIn({ id_token: 'x', extra: 1 })).json().code, 'validation_failed')
    t.equal((await signIn({ id_token: '' })).statusCode, 400)
  })
})
