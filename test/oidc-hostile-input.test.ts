/**
 * Property: the provider sign-in routes answer any query, body or provider name (full Unicode,
 * control characters, NUL, lone surrogates, wrong JSON types) with a 4xx problem, never a 5xx.
 * Reproducible: a fixed seed, overridden with PROPERTY_SEED.
 */
import t from 'tap'
import fc from 'fast-check'
import type { InjectOptions } from 'fastify'
import { bearer, build, registerUser } from './helpers/app.js'
import { startIdentityProvider } from './helpers/identity-provider.js'

const SEED = Number(process.env.PROPERTY_SEED ?? 20261201)
const RUNS = Number(process.env.PROPERTY_RUNS ?? 40)

const text = fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary', minLength: 40, maxLength: 300 }), fc.constantFrom('\u0000', 'S256', 'acme', '%00', '\uD800'))
/** Every byte percent-encoded (encodeURIComponent refuses lone surrogates). */
const pathPart = (value: string): string => [...Buffer.from(value)].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('')
const jsonValue = fc.oneof(text, fc.integer(), fc.boolean(), fc.constant(null), fc.array(text, { maxLength: 3 }), fc.dictionary(text, text, { maxKeys: 3 }))

t.test('hostile input to the provider sign-in routes', async (t) => {
  const idp = await startIdentityProvider(t)
  const app = await build(t, { OIDC_PROVIDERS: 'acme', ...idp.env('acme') })
  const user = await registerUser(app)
  const auth = bearer(user.session.access_token)

  const answersProblem = async (request: InjectOptions, allowed: number[] = []) => {
    const res = await app.inject(request)
    if (allowed.includes(res.statusCode)) return true
    if (res.statusCode < 400 || res.statusCode >= 500) throw new Error(`${String(request.method)} ${String(request.url)} answered ${res.statusCode}: ${res.body}`)
    if (!String(res.headers['content-type']).startsWith('application/problem+json')) throw new Error(`not a problem: ${res.body}`)
    return typeof res.json().code === 'string'
  }
  const query = (fields: Record<string, string>) => new URLSearchParams(fields).toString()
  const check = (name: string, property: Parameters<typeof fc.assert>[0]) =>
    t.test(name, async (t) => { await fc.assert(property, { seed: SEED, numRuns: RUNS }); t.pass(name) })

  await check('authorize', fc.asyncProperty(
    fc.record({ redirect_uri: text, code_challenge: text, code_challenge_method: text, link_token: text }, { requiredKeys: [] }),
    fc.dictionary(text, text, { maxKeys: 2 }), text,
    async (fields, extra, provider) => {
      await answersProblem({ url: `/api/v1/auth/oauth/acme/authorize?${query({ ...extra, ...fields })}` })
      return await answersProblem({ url: `/api/v1/auth/oauth/${pathPart(provider)}/authorize?${query(fields)}` })
    }))

  await check('callback', fc.asyncProperty(
    fc.record({ state: text, code: text, error: text, iss: text }, { requiredKeys: [] }), fc.dictionary(text, text, { maxKeys: 2 }),
    async (fields, extra) => await answersProblem({ url: `/api/v1/auth/oauth/acme/callback?${query({ ...extra, ...fields })}` })))

  await check('exchange', fc.asyncProperty(
    fc.record({ code: jsonValue, code_verifier: jsonValue }, { requiredKeys: [] }), fc.dictionary(text, jsonValue, { maxKeys: 2 }),
    async (fields, extra) => await answersProblem({ method: 'POST', url: '/api/v1/auth/oauth/exchange', payload: { ...extra, ...fields } })))

  await check('native sign-in and linking', fc.asyncProperty(
    fc.record({ id_token: jsonValue, nonce: jsonValue }, { requiredKeys: [] }), text,
    async (fields, provider) => {
      await answersProblem({ method: 'POST', url: `/api/v1/auth/oauth/${pathPart(provider)}/id-token`, payload: fields })
      await answersProblem({ method: 'POST', url: '/api/v1/auth/oauth/acme/id-token', payload: fields })
      return await answersProblem({ method: 'POST', url: '/api/v1/users/me/identities/acme/id-token', payload: fields, headers: auth })
    }))

  await check('unlink', fc.asyncProperty(text, async (id) =>
    await answersProblem({ method: 'DELETE', url: `/api/v1/users/me/identities/${pathPart(id)}`, headers: auth })))

  t.test('ID tokens of hostile shapes', async (t) => {
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
    const shapes = [
      `${part({ alg: 'none' })}.${part({ sub: 'x' })}.`,
      `${part({ alg: 'RS256', kid: '\u0000' })}.${part({ sub: '\u0000', iss: idp.issuer, aud: 'auth-service' })}.AAAA`,
      `${part({ alg: 'RS256', kid: 'x'.repeat(3000) })}.${part([])}.AAAA`,
      `${part('string')}.${part(null)}.${part(1)}`,
      `${part({ alg: 'RS256', crit: ['b64'] })}.e30.AAAA`,
      'e30.e30.e30.e30.e30'
    ]
    for (const idToken of shapes) {
      t.ok(await answersProblem({ method: 'POST', url: '/api/v1/auth/oauth/acme/id-token', payload: { id_token: idToken } }), idToken.slice(0, 40))
    }
  })
})
