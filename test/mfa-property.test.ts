/**
 * Property: the MFA operations answer hostile input (full Unicode, control characters, NUL, lone
 * surrogates, huge strings, wrong types) with a 4xx problem, never a 5xx, and never a session.
 * Reproducible: a fixed seed, overridden with PROPERTY_SEED; PROPERTY_RUNS sets the runs per operation.
 */
import t from 'tap'
import fc from 'fast-check'
import type { LightMyRequestResponse } from 'fastify'
import { bearer, build, registerUser, TEST_PASSWORD } from './helpers/app.js'
import { enableTotp, loginForMfaToken, testClock } from './helpers/mfa.js'

const SEED = Number(process.env.PROPERTY_SEED ?? 20261201)
const RUNS = Number(process.env.PROPERTY_RUNS ?? 40)

const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom('', '\u0000', '000000', '\u0000123456', '１２３４５６', '123456\u0000', ' 123 456 ', '-----', 'a'.repeat(65), '\uD800', '😀'.repeat(30))
)
const value = fc.oneof({ weight: 4, arbitrary: text }, fc.integer(), fc.constant(null), fc.boolean(), fc.array(text, { maxLength: 2 }), fc.object({ maxDepth: 1 }))

function problemOnly (res: LightMyRequestResponse): void {
  if (res.statusCode >= 500 || res.statusCode < 400) throw new Error(`answered ${res.statusCode}: ${res.body.slice(0, 300)}`)
  if (!String(res.headers['content-type']).startsWith('application/problem+json')) throw new Error(`not a problem: ${res.body.slice(0, 300)}`)
  const body = res.json<{ code?: unknown, status?: unknown }>()
  if (typeof body.code !== 'string' || body.status !== res.statusCode) throw new Error(`not a problem body: ${res.body.slice(0, 300)}`)
}

t.test('hostile input to the MFA operations is a 4xx problem', async (t) => {
  const clock = testClock()
  const app = await build(t, {}, { clock })
  const user = await registerUser(app)
  await enableTotp(app, clock, user.session)
  const auth = bearer(user.session.access_token)
  const { mfa_token: mfaToken } = await loginForMfaToken(app, user.username)

  const operations: Array<{ name: string, method: 'POST' | 'DELETE', url: string, auth: boolean, body: fc.Arbitrary<Record<string, unknown>> }> = [
    {
      name: 'POST /auth/mfa/verify',
      method: 'POST',
      url: '/api/v1/auth/mfa/verify',
      auth: false,
      body: fc.record({ mfa_token: fc.oneof(fc.constant(mfaToken), value), code: value, recovery_code: value }, { requiredKeys: [] })
    },
    { name: 'POST /users/me/mfa/totp', method: 'POST', url: '/api/v1/users/me/mfa/totp', auth: true, body: fc.record({ password: value, extra: value }, { requiredKeys: [] }) },
    { name: 'POST /users/me/mfa/totp/confirm', method: 'POST', url: '/api/v1/users/me/mfa/totp/confirm', auth: true, body: fc.record({ code: value }, { requiredKeys: [] }) },
    ...(['DELETE /users/me/mfa/totp', 'POST /users/me/mfa/recovery-codes'] as const).map((name) => ({
      name,
      method: name.split(' ')[0] as 'POST' | 'DELETE',
      url: `/api/v1${name.split(' ')[1] ?? ''}`,
      auth: true,
      body: fc.record({ password: fc.oneof(fc.constant(TEST_PASSWORD), value), mfa_code: value }, { requiredKeys: [] })
    }))
  ]

  for (const op of operations) {
    t.test(op.name, async (t) => {
      await fc.assert(fc.asyncProperty(op.body, async (body) => {
        problemOnly(await app.inject({ method: op.method, url: op.url, headers: op.auth ? auth : {}, payload: body }))
      }), { numRuns: RUNS, seed: SEED })
      t.pass(`${RUNS} hostile bodies, seed ${SEED}`)
    })
  }
})
