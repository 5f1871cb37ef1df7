/** RFC 9457 problem details, the body of every error. */
import { Type, type Static } from '@sinclair/typebox'

export const Problem = Type.Object({
  type: Type.String({ description: 'A URI naming the problem type' }),
  title: Type.String(),
  status: Type.Integer(),
  detail: Type.String(),
  code: Type.String({ description: 'Stable machine-readable code, see API.md' }),
  errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() })))
}, { $id: 'Problem', description: 'RFC 9457 problem details (application/problem+json)' })
export type Problem = Static<typeof Problem>

const ref = Type.Ref(Problem)

/** Response schemas for the error statuses a route can answer. */
export function problems (...statuses: number[]): Record<number, typeof ref> {
  return Object.fromEntries([400, 429, 503, ...statuses].map((s) => [s, ref]))
}
