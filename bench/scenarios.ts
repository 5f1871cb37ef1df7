/** The load scenarios: how each is prepared, and how one is run against the server. */
import { assertMe, login } from './api.js'
import { runTsxChild } from './child.js'
import type { BenchConfig } from './config.js'
import { assertRotation, openSessions, registerUsers } from './fixtures.js'
import { loadScript } from './paths.js'
import { SCENARIO, type Measurement, type ScenarioResult } from './report.js'
import { sampleRss } from './rss.js'
import type { ServerHandle } from './server.js'
import type { LoadOutput, LoadSpec } from './types.js'

// Margin over the scenario duration for the child's start-up and autocannon's last responses.
const LOAD_CHILD_SLACK_MS = 60_000

export interface ScenarioPlan {
  name: string
  connections: number
  /** Creates what the scenario needs and checks the endpoint once, so a broken one fails clearly. */
  prepare: () => Promise<LoadSpec>
}

export function scenarioPlans (config: BenchConfig, url: string): ScenarioPlan[] {
  const base = { url, durationSeconds: config.durationSeconds }
  const { connections, loginConnections } = config
  return [
    {
      name: SCENARIO.baseline,
      connections,
      prepare: async () => ({ ...base, connections, kind: 'liveness' })
    },
    mePlan(config, url, SCENARIO.me, 'me'),
    {
      name: SCENARIO.refresh,
      connections,
      prepare: async () => {
        const users = (await registerUsers(url, 'rf', config.loginUsers)).map((u) => u.credentials)
        // Spare chains stand in for any that break, e.g. when a connection is reset mid-request.
        const spares = Math.max(2, Math.ceil(connections / 10))
        const [probe, ...sessions] = await openSessions(url, users, 1 + connections + spares)
        if (probe !== undefined) await assertRotation(url, probe)
        return { ...base, connections, kind: 'refresh', refreshTokens: sessions.map((s) => s.refreshToken) }
      }
    },
    {
      name: SCENARIO.login,
      connections: loginConnections,
      prepare: async () => {
        const credentials = (await registerUsers(url, 'login', config.loginUsers)).map((u) => u.credentials)
        if (credentials[0] !== undefined) await login(url, credentials[0])
        return { ...base, connections: loginConnections, kind: 'login', credentials }
      }
    }
  ]
}

/** GET /users/me by users of their own (`group`), so that a second server on the same database can run it too. */
export function mePlan (config: BenchConfig, url: string, name: string, group: string): ScenarioPlan {
  const { connections } = config
  return {
    name,
    connections,
    prepare: async () => {
      const users = await registerUsers(url, group, config.meUsers)
      const accessTokens = users.map((u) => u.session.accessToken)
      await assertMe(url, accessTokens[0] ?? '')
      return { url, durationSeconds: config.durationSeconds, connections, kind: 'me', accessTokens }
    }
  }
}

function toMeasurement ({ result, chains }: LoadOutput): Measurement {
  const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, s]) => [code, s.count ?? 0]))
  const measurement: Measurement = {
    reqPerSec: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    totalRequests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes
  }
  if (chains !== undefined) measurement.chains = chains
  return measurement
}

/** Prepares, then drives the load from a separate process while sampling the server's RSS. */
export async function runScenario (plan: ScenarioPlan, server: ServerHandle): Promise<ScenarioResult> {
  const spec = await plan.prepare()
  const rss = sampleRss(server.pid)
  let output: LoadOutput
  try {
    output = await runTsxChild<LoadOutput>(loadScript, spec, spec.durationSeconds * 1000 + LOAD_CHILD_SLACK_MS)
  } catch (err) {
    await rss.stop()
    throw err
  }
  const maxRssMb = await rss.stop()
  return { name: plan.name, connections: plan.connections, maxRssMb, measurement: toMeasurement(output) }
}
