/** Health reports. */
import { Type, type Static } from '@sinclair/typebox'

export const Check = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('error')]),
  latency_ms: Type.Number(),
  backend: Type.String({ description: 'postgres, pglite, redis or memory' })
})

export const HealthReport = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('error')]),
  checks: Type.Object({ database: Check, redis: Check }),
  version: Type.String(),
  uptime_s: Type.Number()
})
export type HealthReport = Static<typeof HealthReport>

export const Status = Type.Object({ status: Type.String() })
