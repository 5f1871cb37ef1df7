/**
 * The OpenAPI document as SDK generators, Swagger UI and linters read it (API.md, Standards
 * conformance): `redocly lint` with the recommended rules finds no error; every protected
 * operation offers `oauth2` beside `bearerAuth`; shared schemas are `$ref`s, never inlined copies;
 * optional bodies are not required; responses declare the headers the service sends.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { ERROR_CODES } from '../src/errors.js'
import { build } from './helpers/app.js'

const run = promisify(execFile)

interface Schema { $ref?: string, properties?: Record<string, unknown>, [key: string]: unknown }
interface Response { headers?: Record<string, unknown>, content?: Record<string, { schema: Schema }> }
interface Operation {
  operationId: string
  security?: Array<Record<string, string[]>>
  requestBody?: { required?: boolean }
  responses: Record<string, Response>
}
interface OpenApiDocument {
  servers?: Array<{ url: string }>
  paths: Record<string, Record<string, Operation>>
  components: { schemas: Record<string, Schema> }
}

const app = await build(t)
const served = await app.inject({ url: '/docs/json' })
const doc = served.json<OpenApiDocument>()
const operations = Object.values(doc.paths).flatMap((item) => Object.values(item))
const byId = new Map(operations.map((op) => [op.operationId, op]))
const op = (id: string): Operation => {
  const found = byId.get(id)
  if (found === undefined) throw new Error(`no operation ${id}`)
  return found
}
const schemaOf = (id: string, status: number, type = 'application/json') => op(id).responses[String(status)]?.content?.[type]?.schema

t.test('redocly lint (recommended rules) of the served document reports no error', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'openapi-lint-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const file = join(dir, 'openapi.json')
  await writeFile(file, served.body)
  const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' }
  const result = await run('node_modules/.bin/redocly', ['lint', '--extends', 'recommended', '--format', 'stylish', file], { env })
    .then(({ stdout, stderr }) => ({ code: 0, output: stdout + stderr }), (err: { code?: number, stdout?: string, stderr?: string }) =>
      ({ code: err.code ?? 1, output: `${err.stdout ?? ''}${err.stderr ?? ''}` }))
  t.equal(result.code, 0, result.code === 0 ? 'redocly exits 0' : result.output)
  t.notMatch(result.output, /\berror\b/, 'no error reported')
})

t.test('servers names the base URL', async (t) => {
  t.match(doc.servers, [{ url: String }])
})

t.test('every operation declares its security; a bearer token is offered as oauth2 too', async (t) => {
  for (const operation of operations) {
    t.ok(Array.isArray(operation.security), `${operation.operationId} declares security`)
    const schemes = (operation.security ?? []).flatMap((r) => Object.keys(r))
    if (schemes.includes('bearerAuth')) t.ok(schemes.includes('oauth2'), `${operation.operationId} lists oauth2 beside bearerAuth`)
  }
  t.strictSame(op('getMe').security, [{ bearerAuth: [] }, { oauth2: [] }], 'either scheme, as alternatives')
  t.strictSame(op('logout').security, [{ bearerAuth: [] }, { oauth2: [] }, {}], 'or none: logout by refresh token')
  t.strictSame(op('login').security, [], 'public')
})

t.test('Session, User, Role and Problem are $refs, never inlined copies', async (t) => {
  t.strictSame(schemaOf('register', 201), { $ref: '#/components/schemas/Session' })
  t.strictSame(schemaOf('login', 200), { $ref: '#/components/schemas/Session' })
  t.strictSame(schemaOf('refresh', 200), { $ref: '#/components/schemas/Session' })
  t.strictSame(schemaOf('getMe', 200), { $ref: '#/components/schemas/User' })
  t.strictSame(schemaOf('createRole', 201), { $ref: '#/components/schemas/Role' })
  t.match(schemaOf('listRoles', 200), { type: 'array', items: { $ref: '#/components/schemas/Role' } })
  t.strictSame(schemaOf('login', 401, 'application/problem+json'), { $ref: '#/components/schemas/Problem' })

  // A copy is an object with the same properties as a component, anywhere in the paths.
  const shapes = ['Session', 'User', 'Role', 'Problem'].map((name) => {
    const keys = Object.keys(doc.components.schemas[name]?.properties ?? {}).sort().join()
    return { name, keys }
  })
  const copies: string[] = []
  const visit = (node: unknown, where: string): void => {
    if (Array.isArray(node)) { node.forEach((n, i) => visit(n, `${where}/${i}`)); return }
    if (typeof node !== 'object' || node === null) return
    const properties = (node as Schema).properties
    if (properties !== undefined && typeof properties === 'object') {
      const keys = Object.keys(properties).sort().join()
      for (const shape of shapes) if (shape.keys === keys) copies.push(`${shape.name} at ${where}`)
    }
    for (const [key, value] of Object.entries(node)) visit(value, `${where}/${key}`)
  }
  visit(doc.paths, '#/paths')
  t.strictSame(copies, [], 'no inlined copy of a shared schema')
})

t.test('bodies that may be left out are not required', async (t) => {
  for (const id of ['refresh', 'logout', 'revoke']) t.equal(op(id).requestBody?.required, false, `${id}: optional`)
  for (const id of ['register', 'login', 'token', 'changePassword', 'updateMe']) t.equal(op(id).requestBody?.required, true, `${id}: required`)
  const refresh = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh' })
  t.equal(refresh.json().code, 'invalid_refresh_token', 'and the route does take no body at all')
})

t.test('Problem.code is an enum of every code', async (t) => {
  const code = doc.components.schemas.Problem?.properties?.code as Schema | undefined
  t.equal(code?.type, 'string')
  t.strictSame(code?.enum, ERROR_CODES, 'the codes of the one error table')
})

t.test('responses declare Retry-After, WWW-Authenticate and x-ratelimit-*', async (t) => {
  const headers = (id: string, status: number) => Object.keys(op(id).responses[String(status)]?.headers ?? {}).sort()
  const limits = ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset']
  t.strictSame(headers('login', 429), ['Retry-After', ...limits])
  t.strictSame(headers('login', 503), ['Retry-After', ...limits])
  t.strictSame(headers('login', 200), limits)
  t.strictSame(headers('getMe', 401), ['WWW-Authenticate', ...limits])
  t.strictSame(headers('token', 429), ['Retry-After', ...limits], 'the OAuth errors too')
  t.strictSame(headers('liveness', 200), [], 'probes are not limited')
  t.strictSame(headers('health', 503), [], 'a health report is not an error answer')
})
