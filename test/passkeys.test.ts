import t from 'tap'
import { bearer, build, registerUser } from './helpers/app.js'
import { addPasskey, registrationOptions, testAuthenticator, TEST_ORIGIN } from './helpers/passkeys.js'

const PASSKEYS = '/api/v1/users/me/passkeys'

async function auditTypes (app: Awaited<ReturnType<typeof build>>, userId: string): Promise<string[]> {
  await app.background.idle()
  const rows = await app.db.selectFrom('auth_events').select('type').where('user_id', '=', userId).orderBy('created_at').execute()
  return rows.map((r) => r.type)
}

t.test('registration options', async (t) => {
  const app = await build(t)
  const user = await registerUser(app)
  const options = await registrationOptions(app, user.session.access_token)
  t.match(options, {
    rp: { id: 'localhost', name: 'auth-service' },
    user: { name: user.username, displayName: user.email },
    attestation: 'none',
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
    excludeCredentials: [],
    timeout: 300_000
  })
  t.same(options.pubKeyCredParams.map((p: { alg: number }) => p.alg), [-7, -8, -257], 'ES256, EdDSA and RS256, nothing else')
  t.match(options.challenge, /^[A-Za-z0-9_-]{43}$/)
  t.equal(Buffer.from(options.user.id, 'base64url').toString('hex'), user.session.user.id.replaceAll('-', ''), 'the user handle is the account id')

  const again = await registrationOptions(app, user.session.access_token)
  t.not(again.challenge, options.challenge, 'a fresh challenge every time')

  const { res } = await addPasskey(app, user.session.access_token, testAuthenticator())
  t.equal(res.statusCode, 201)
  const after = await registrationOptions(app, user.session.access_token)
  t.same(after.excludeCredentials, [{ id: res.json().id, type: 'public-key', transports: ['internal'] }], 'its own passkeys are excluded')

  const anonymous = await app.inject({ method: 'POST', url: `${PASSKEYS}/options` })
  t.equal(anonymous.statusCode, 401)
  t.equal(anonymous.json().code, 'invalid_token')
})

t.test('adding, listing, renaming and removing passkeys', async (t) => {
  const app = await build(t)
  const user = await registerUser(app)
  const token = user.session.access_token

  for (const alg of ['ES256', 'EdDSA', 'RS256'] as const) {
    const { res } = await addPasskey(app, token, testAuthenticator({ alg }), { name: `Key ${alg} 🔑` })
    t.equal(res.statusCode, 201, alg)
    t.match(res.json(), { name: `Key ${alg} 🔑`, last_used_at: null, backed_up: false, transports: ['internal'] })
    t.match(res.json().id, /^[A-Za-z0-9_-]+$/)
    t.ok(Date.parse(res.json().created_at) > 0)
  }
  const unnamed = await addPasskey(app, token, testAuthenticator({ backedUp: true }))
  t.equal(unnamed.res.statusCode, 201)
  t.match(unnamed.res.json(), { name: 'Passkey', backed_up: true })

  const list = await app.inject({ url: PASSKEYS, headers: bearer(token) })
  t.equal(list.statusCode, 200)
  t.same(list.json().map((p: { name: string }) => p.name), ['Key ES256 🔑', 'Key EdDSA 🔑', 'Key RS256 🔑', 'Passkey'], 'oldest first')
  t.notOk('public_key' in list.json()[0], 'no key material in the answer')
  t.notOk('counter' in list.json()[0])

  const id = unnamed.res.json().id
  const renamed = await app.inject({ method: 'PATCH', url: `${PASSKEYS}/${id}`, headers: bearer(token), payload: { name: 'Téléphone de Zoë' } })
  t.equal(renamed.statusCode, 200)
  t.match(renamed.json(), { id, name: 'Téléphone de Zoë' })

  const removed = await app.inject({ method: 'DELETE', url: `${PASSKEYS}/${id}`, headers: bearer(token) })
  t.equal(removed.statusCode, 204)
  t.equal((await app.inject({ url: PASSKEYS, headers: bearer(token) })).json().length, 3)
  const again = await app.inject({ method: 'DELETE', url: `${PASSKEYS}/${id}`, headers: bearer(token) })
  t.equal(again.statusCode, 404)
  t.equal(again.json().code, 'not_found')

  const types = await auditTypes(app, user.session.user.id)
  t.equal(types.filter((type) => type === 'passkey_added').length, 4)
  t.equal(types.filter((type) => type === 'passkey_removed').length, 1)
})

t.test('another account\'s passkey looks unknown', async (t) => {
  const app = await build(t)
  const owner = await registerUser(app)
  const other = await registerUser(app)
  const { res } = await addPasskey(app, owner.session.access_token, testAuthenticator())
  const id = res.json().id
  const rename = await app.inject({ method: 'PATCH', url: `${PASSKEYS}/${id}`, headers: bearer(other.session.access_token), payload: { name: 'mine now' } })
  t.equal(rename.statusCode, 404)
  const remove = await app.inject({ method: 'DELETE', url: `${PASSKEYS}/${id}`, headers: bearer(other.session.access_token) })
  t.equal(remove.statusCode, 404)
  t.same((await app.inject({ url: PASSKEYS, headers: bearer(other.session.access_token) })).json(), [])
  t.equal((await app.inject({ url: PASSKEYS, headers: bearer(owner.session.access_token) })).json()[0].name, 'Passkey')
})

t.test('a registration response that does not verify is 401 invalid_passkey', async (t) => {
  const app = await build(t)
  const user = await registerUser(app)
  const token = user.session.access_token
  const finish = (response: object) => app.inject({ method: 'POST', url: PASSKEYS, headers: bearer(token), payload: { response } })

  const cases: Array<[string, Parameters<ReturnType<typeof testAuthenticator>['create']>[1]]> = [
    ['another origin', { origin: 'https://evil.example' }],
    ['another RP ID', { rpId: 'evil.example' }],
    ['no user presence', { userPresent: false }],
    ['an assertion type', { type: 'webauthn.get' }]
  ]
  for (const [label, ceremony] of cases) {
    const options = await registrationOptions(app, token)
    const res = await finish(testAuthenticator().create(options, ceremony).json)
    t.equal(res.statusCode, 401, label)
    t.equal(res.json().code, 'invalid_passkey', label)
  }

  const options = await registrationOptions(app, token)
  const authenticator = testAuthenticator()
  const { json } = authenticator.create(options)
  t.equal((await finish(json)).statusCode, 201)
  const replay = await finish(json)
  t.equal(replay.statusCode, 401, 'a challenge works once')
  t.equal(replay.json().code, 'invalid_passkey')

  const invented = testAuthenticator().create({ ...options, challenge: Buffer.alloc(32, 7).toString('base64url') }).json
  t.equal((await finish(invented)).statusCode, 401, 'a challenge the server never gave')

  const other = await registerUser(app)
  const foreign = testAuthenticator().create(await registrationOptions(app, other.session.access_token)).json
  t.equal((await finish(foreign)).statusCode, 401, 'a challenge given to another account')

  t.equal((await app.inject({ url: PASSKEYS, headers: bearer(token) })).json().length, 1, 'only the good one was added')
})

t.test('one credential cannot be registered twice, to the same account or another', async (t) => {
  const app = await build(t)
  const first = await registerUser(app)
  const second = await registerUser(app)
  const authenticator = testAuthenticator()
  const { res, credential } = await addPasskey(app, first.session.access_token, authenticator)
  t.equal(res.statusCode, 201)

  // The same authenticator credential offered again under a fresh challenge.
  const reuse = async (accessToken: string) => {
    const { json } = authenticator.create(await registrationOptions(app, accessToken), { reuse: credential })
    return await app.inject({ method: 'POST', url: PASSKEYS, headers: bearer(accessToken), payload: { response: json } })
  }
  for (const account of [first, second]) {
    const res = await reuse(account.session.access_token)
    t.equal(res.statusCode, 401)
    t.equal(res.json().code, 'invalid_passkey')
  }
  t.equal((await app.inject({ url: PASSKEYS, headers: bearer(second.session.access_token) })).json().length, 0)
})

t.test('names and ids are validated', async (t) => {
  const app = await build(t)
  const user = await registerUser(app)
  const token = user.session.access_token
  const { res } = await addPasskey(app, token, testAuthenticator())
  const id = res.json().id

  for (const name of ['', ' \u00a0 ', 'a\u0000b', 'tab\there', 'line\nbreak', 'x'.repeat(65), '\ud800']) {
    const rename = await app.inject({ method: 'PATCH', url: `${PASSKEYS}/${id}`, headers: bearer(token), payload: { name } })
    t.equal(rename.statusCode, 400, JSON.stringify(name))
    t.match(rename.json(), { code: 'validation_failed', errors: [{ path: '/name' }] })
  }
  const unknownField = await app.inject({ method: 'PATCH', url: `${PASSKEYS}/${id}`, headers: bearer(token), payload: { name: 'ok', counter: 0 } })
  t.equal(unknownField.statusCode, 400)
  const badId = await app.inject({ method: 'DELETE', url: `${PASSKEYS}/not%20base64url`, headers: bearer(token) })
  t.equal(badId.statusCode, 400)
  t.match(badId.json(), { code: 'validation_failed', errors: [{ path: 'params/id' }] })
  const longId = await app.inject({ method: 'DELETE', url: `${PASSKEYS}/${'A'.repeat(1364)}`, headers: bearer(token) })
  t.equal(longId.statusCode, 404, 'the longest credential id reaches the route')
  t.equal(longId.json().code, 'not_found')
})

t.test('the origins and RP ID come from the settings', async (t) => {
  const app = await build(t, { WEBAUTHN_RP_ID: 'example.com', WEBAUTHN_RP_NAME: 'Example', WEBAUTHN_ORIGINS: 'https://app.example.com, https://example.com' })
  const user = await registerUser(app)
  const options = await registrationOptions(app, user.session.access_token)
  t.match(options.rp, { id: 'example.com', name: 'Example' })
  for (const origin of ['https://app.example.com', 'https://example.com']) {
    const authenticator = testAuthenticator({ origin, rpId: 'example.com' })
    const { res } = await addPasskey(app, user.session.access_token, authenticator)
    t.equal(res.statusCode, 201, origin)
  }
  const { res } = await addPasskey(app, user.session.access_token, testAuthenticator({ origin: TEST_ORIGIN, rpId: 'example.com' }))
  t.equal(res.statusCode, 401, 'APP_URL is no longer an origin once WEBAUTHN_ORIGINS is set')
})
