/** Health reports. */
import { Type, type Static } from '@sinclair/typebox'
import { StringEnum } from './common.js'

export const Check = Type.Object({
  status: StringEnum(['ok', 'error']),
  latency_ms: Type.Number(),
  backend: Type.String({ description: 'postgres, pglite, redis or memory' })
})

export const HealthReport = Type.Object({
  status: StringEnum(['ok', 'error']),
  checks: Type.Object({ database: Check, redis: Check }),
  version: Type.String(),
  uptime_s: Type.Number()
})
export type HealthReport = Static<typeof HealthReport>

export const Status = Type.Object({ status: Type.String() })
