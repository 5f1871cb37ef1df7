/** RFC 9457 problem details, the body of every error. */
import { Type, type Static } from '@sinclair/typebox'
import { ERROR_CODES, type ErrorCode } from '../src/errors.js'

export const Problem = Type.Object({
  type: Type.String({ description: 'A URI naming the problem type' }),
  title: Type.String(),
  status: Type.Integer(),
  detail: Type.String(),
  code: Type.Unsafe<ErrorCode>({ type: 'string', enum: ERROR_CODES, description: 'Stable machine-readable code; clients switch on it' }),
  errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
  mfa_token: Type.Optional(Type.String({ description: 'With `mfa_required`: completes the login at /auth/mfa/verify' })),
  methods: Type.Optional(Type.Array(Type.String(), { description: 'With `mfa_required`: the second factors the account can use' }))
}, { $id: 'Problem', description: 'RFC 9457 problem details (application/problem+json)' })
export type Problem = Static<typeof Problem>

/**
 * Declared per content type so the OpenAPI document says `application/problem+json`, which is
 * also the type the error handler sends, so Fastify serializes errors with this schema.
 */
const ProblemResponse = Type.Unsafe<Problem>({
  description: 'Problem details',
  content: { 'application/problem+json': { schema: Type.Ref(Problem) } }
})

/** Response schemas for the error statuses a route can answer (400, 429 and 503 are always possible). */
export function problems (...statuses: number[]): Record<number, typeof ProblemResponse> {
  return Object.fromEntries([400, 429, 503, ...statuses].map((s) => [s, ProblemResponse]))
}
