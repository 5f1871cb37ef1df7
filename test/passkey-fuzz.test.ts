/**
 * Property: whatever WebAuthn JSON a client sends (random shapes, and well-formed responses whose
 * members decode to hostile bytes, text, JSON or CBOR), the answer is 401 invalid_passkey or a 400
 * that names a field, never a 5xx. Reproducible with PROPERTY_SEED; PROPERTY_RUNS sets the runs.
 */
import t from 'tap'
import fc from 'fast-check'
import { bearer, build, registerUser } from './helpers/app.js'
import { cbor } from './helpers/soft-authenticator.js'
import { addPasskey, loginOptions, registrationOptions, testAuthenticator } from './helpers/passkeys.js'

const SEED = Number(process.env.PROPERTY_SEED ?? 20261201)
const RUNS = Number(process.env.PROPERTY_RUNS ?? 60)

const b64 = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64url')

// Text of every kind: full Unicode, lone surrogates, control characters and NUL.
const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.constantFrom('', '\u0000', '\ud800', 'webauthn.get', 'webauthn.create', 'http://localhost:3000'))
const json = fc.jsonValue({ maxDepth: 3 })
const bytes = fc.uint8Array({ maxLength: 300 })

// CBOR the parsers must survive: random values, and attestation objects with the wrong types inside.
type Cbor = Parameters<typeof cbor>[0]
const cborValue: fc.Arbitrary<Cbor> = fc.letrec<{ value: Cbor }>((tie) => ({
  value: fc.oneof({ depthSize: 'small' },
    fc.integer({ min: -1000, max: 100_000 }), fc.string({ unit: 'binary', maxLength: 20 }), fc.uint8Array({ maxLength: 80 }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.array(fc.tuple(fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constantFrom('fmt', 'attStmt', 'authData', 'alg', 'sig')), tie('value')), { maxLength: 4 })
      .map((entries) => new Map<number | string, Cbor>(entries)))
})).value
const attestationObject = fc.oneof(
  bytes.map(b64),
  cborValue.map((v) => b64(cbor(v))),
  fc.tuple(fc.oneof(fc.constant('none'), fc.constant('packed'), text), cborValue, fc.oneof(bytes, cborValue))
    .map(([fmt, attStmt, authData]) => b64(cbor(new Map([['fmt', fmt], ['attStmt', attStmt], ['authData', authData]]))))
)
const clientData = (type: string, challenge: string) => fc.oneof(
  bytes.map(b64),
  json.map((v) => b64(JSON.stringify(v))),
  fc.record({ type: fc.oneof(fc.constant(type), text), challenge: fc.oneof(fc.constant(challenge), text), origin: text }, { requiredKeys: [] })
    .map((v) => b64(JSON.stringify(v)))
)
// A random shape, a random value at one member, or junk at any depth.
const mutate = (valid: Record<string, unknown>) => fc.oneof(
  json,
  fc.tuple(fc.constantFrom(...Object.keys(valid)), fc.oneof(json, text)).map(([key, value]) => ({ ...valid, [key]: value })),
  fc.tuple(fc.constantFrom(...Object.keys(valid.response as object)), fc.oneof(json, text, bytes.map(b64)))
    .map(([key, value]) => ({ ...valid, response: { ...(valid.response as object), [key]: value } }))
)

function acceptable (res: { statusCode: number, json: () => { code?: string, errors?: unknown[] } }): boolean {
  if (res.statusCode === 401) return res.json().code === 'invalid_passkey'
  if (res.statusCode === 400) return res.json().code === 'validation_failed' && Array.isArray(res.json().errors)
  return false
}

t.test('registration responses', async (t) => {
  const app = await build(t)
  const user = await registerUser(app)
  const token = user.session.access_token
  const options = await registrationOptions(app, token)
  const { json: valid } = testAuthenticator().create(options)
  const send = (response: unknown, name?: unknown) => app.inject({
    method: 'POST', url: '/api/v1/users/me/passkeys', headers: bearer(token), payload: { response, ...(name === undefined ? {} : { name }) }
  })

  const shaped = fc.record({
    clientDataJSON: clientData('webauthn.create', options.challenge),
    attestationObject
  }).map((response) => ({ ...valid, response: { ...valid.response, ...response } }))

  await fc.assert(fc.asyncProperty(fc.oneof(shaped, mutate(valid)), fc.option(text, { freq: 4 }), async (response, name) => {
    const res = await send(response, name ?? undefined)
    if (!acceptable(res)) throw new Error(`${res.statusCode} ${res.body} for ${JSON.stringify(response).slice(0, 300)}`)
  }), { seed: SEED, numRuns: RUNS })
  t.pass('never a 5xx')

  const { res } = await addPasskey(app, token, testAuthenticator())
  t.equal(res.statusCode, 201, 'the account still adds a passkey afterwards')
})

t.test('authentication responses', async (t) => {
  const app = await build(t)
  const user = await registerUser(app)
  const authenticator = testAuthenticator()
  await addPasskey(app, user.session.access_token, authenticator)
  const { options } = await loginOptions(app)
  const valid = authenticator.get(options)

  const shaped = fc.record({
    clientDataJSON: clientData('webauthn.get', options.challenge),
    authenticatorData: fc.oneof(bytes.map(b64), fc.uint8Array({ minLength: 37, maxLength: 37 }).map(b64)),
    signature: bytes.map(b64),
    userHandle: fc.oneof(bytes.map(b64), fc.constant(''))
  }, { requiredKeys: [] }).map((response) => ({ ...valid, response: { ...valid.response, ...response } }))

  await fc.assert(fc.asyncProperty(fc.oneof(shaped, mutate(valid)), fc.oneof(text, fc.constant('')), async (response, challengeId) => {
    // A real challenge each time, so the whole verification runs, not only the challenge lookup.
    const fresh = await loginOptions(app)
    for (const id of [fresh.challenge_id, challengeId]) {
      const res = await app.inject({ method: 'POST', url: '/api/v1/auth/passkey/login', payload: { challenge_id: id, response } })
      if (!acceptable(res)) throw new Error(`${res.statusCode} ${res.body} for ${JSON.stringify(response).slice(0, 300)}`)
    }
  }), { seed: SEED, numRuns: RUNS })
  t.pass('never a 5xx')
})

t.test('passkey names', async (t) => {
  const app = await build(t)
  const user = await registerUser(app)
  const { res: added } = await addPasskey(app, user.session.access_token, testAuthenticator())
  const url = `/api/v1/users/me/passkeys/${added.json().id}`
  await fc.assert(fc.asyncProperty(fc.oneof(fc.string({ unit: 'binary', maxLength: 80 }), json), async (name) => {
    const res = await app.inject({ method: 'PATCH', url, headers: bearer(user.session.access_token), payload: { name } })
    if (res.statusCode === 200) {
      if (res.json().name !== name) throw new Error(`stored ${JSON.stringify(res.json().name)} for ${JSON.stringify(name)}`)
      return
    }
    if (res.statusCode !== 400 || res.json().errors?.[0]?.path !== '/name') throw new Error(`${res.statusCode} ${res.body}`)
  }), { seed: SEED, numRuns: RUNS * 2 })
  t.pass('a name is stored as given or refused with its field named')
})
