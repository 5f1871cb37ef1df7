import t from 'tap'
import Fastify from 'fastify'
import errorsPlugin from '../plugins/errors.js'
import { AppError, ERROR_CODES, errors } from '../src/errors.js'
import { build } from './helpers/app.js'

// One call of every constructor: each code meets its own status, whatever the caller passes.
const samples: AppError[] = [
  errors.validation('bad'), errors.weakPassword('short'), errors.invalidResetToken(), errors.invalidCurrentPassword(),
  errors.invalidVerificationToken(), errors.mfaCodeRequired(), errors.invalidRedirectUri(), errors.invalidOauthState(),
  errors.invalidCredentials(), errors.invalidToken(), errors.tokenRequired(), errors.tokenRevoked(),
  errors.invalidRefreshToken(), errors.refreshTokenReused(), errors.mfaRequired('t', ['totp']), errors.invalidMfaCode(),
  errors.invalidMfaToken(), errors.invalidPasskey(), errors.invalidIdToken(), errors.forbidden(), errors.emailNotVerified(),
  errors.notFound(), errors.unknownProvider('acme'), errors.emailTaken(), errors.usernameTaken(), errors.roleExists('r'),
  errors.roleInUse('held'), errors.accountExists(), errors.identityTaken(), errors.lastCredential(), errors.conflict('c'),
  errors.unsupportedMediaType('xml'), errors.rateLimited(1), errors.internal(), errors.providerError(), errors.unavailable('redis'),
  errors.http(406, 'not acceptable')
]

const CONTRACT_STATUS: Record<string, number> = {
  invalid_verification_token: 400,
  mfa_code_required: 400,
  invalid_redirect_uri: 400,
  invalid_oauth_state: 400,
  mfa_required: 401,
  invalid_mfa_code: 401,
  invalid_mfa_token: 401,
  invalid_passkey: 401,
  invalid_id_token: 401,
  email_not_verified: 403,
  unknown_provider: 404,
  account_exists: 409,
  identity_taken: 409,
  last_credential: 409,
  provider_error: 502
}

t.test('every code of the contract has a constructor with its status', async (t) => {
  for (const [code, status] of Object.entries(CONTRACT_STATUS)) {
    const made = samples.find((e) => e.code === code)
    t.equal(made?.status, status, `${code} is ${status}`)
  }
  for (const e of samples) t.ok(e.title !== '' && e.message !== '', `${e.code} has a title and a detail`)
  t.equal(errors.http(406, 'x').status, 406, 'a framework 4xx keeps its status')
  t.equal(errors.http(406, 'x').code, 'bad_request')
  t.equal(errors.http(413, 'x').code, 'payload_too_large')
})

t.test('extra problem members reach the body', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(errorsPlugin)
  app.get('/mfa', async () => { throw errors.mfaRequired('opaque', ['totp', 'passkey']) })
  const res = await app.inject({ url: '/mfa' })
  t.equal(res.statusCode, 401)
  t.match(res.json(), { code: 'mfa_required', mfa_token: 'opaque', methods: ['totp', 'passkey'] })
})

t.test('the OpenAPI Problem.code enum is the table', async (t) => {
  const app = await build(t)
  const doc = (await app.inject({ url: '/docs/json' })).json<{ components: { schemas: { Problem: { properties: { code: { enum: string[] } } } } } }>()
  t.strictSame(doc.components.schemas.Problem.properties.code.enum, ERROR_CODES)
  for (const code of Object.keys(CONTRACT_STATUS)) t.ok(ERROR_CODES.includes(code as never), `${code} is in the enum`)
})
