/** Health reports. */
import { Type, type Static } from '@sinclair/typebox'
import { StringEnum } from './common.js'

export const Check = Type.Object({
  status: StringEnum(['ok', 'error']),
  latency_ms: Type.Number(),
  backend: Type.String({ description: 'postgres, pglite, redis or memory' })
})

/** Present when providers are configured; one that is down disables its sign-in only, so it never fails readiness. */
export const IdentityProvidersCheck = Type.Object({
  status: StringEnum(['ok', 'degraded']),
  unavailable: Type.Array(Type.String(), { description: 'Providers not discovered yet: their sign-in answers 503' })
})

export const HealthReport = Type.Object({
  status: StringEnum(['ok', 'error']),
  checks: Type.Object({ database: Check, redis: Check, identity_providers: Type.Optional(IdentityProvidersCheck) }),
  version: Type.String(),
  uptime_s: Type.Number()
})
export type HealthReport = Static<typeof HealthReport>

export const Status = Type.Object({ status: Type.String() })
