/** Turns scenario figures into the printed table, the goal verdicts and the saved JSON. */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { resultsDir } from './paths.js'
import type { Argon2RateOutput, ChainStats } from './types.js'

export interface Measurement {
  reqPerSec: number
  p50Ms: number
  p99Ms: number
  totalRequests: number
  non2xx: number
  errors: number
  timeouts: number
  statusCodes: Record<string, number>
  chains?: ChainStats
}

export interface ScenarioResult {
  name: string
  connections: number
  maxRssMb: number | undefined
  measurement?: Measurement
  error?: string
}

export type GoalStatus = 'met' | 'missed' | 'invalid' | 'not measured'

export interface Goal {
  goal: string
  actual: string
  status: GoalStatus
  note?: string
}

export const SCENARIO = {
  baseline: 'GET /health/liveness',
  me: 'GET /users/me',
  meEdDSA: 'GET /users/me (EdDSA)',
  refresh: 'POST /auth/refresh',
  login: 'POST /auth/login'
} as const

const RSS_LIMIT_MB = 200

function measured (scenarios: readonly ScenarioResult[], name: string): Measurement | undefined {
  return scenarios.find((s) => s.name === name)?.measurement
}

function isClean (m: Measurement): boolean {
  return m.non2xx === 0 && m.errors === 0 && m.timeouts === 0
}

function fmt (value: number | undefined, digits: number): string {
  return value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(digits)
}

function pct (value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '-' : `${(value * 100).toFixed(1)}%`
}

function ratioGoal (goal: string, part: Measurement | undefined, whole: number | undefined, min: number, wholeClean = true): Goal {
  if (part === undefined || whole === undefined || whole <= 0) return { goal, actual: '-', status: 'not measured' }
  const ratio = part.reqPerSec / whole
  const status: GoalStatus = !isClean(part) || !wholeClean ? 'invalid' : ratio >= min ? 'met' : 'missed'
  const goalResult: Goal = { goal, actual: pct(ratio), status }
  if (status === 'invalid') goalResult.note = 'the measurement had non-2xx responses, errors or timeouts'
  return goalResult
}

export function evaluateGoals (scenarios: readonly ScenarioResult[], argon2: Argon2RateOutput | undefined): Goal[] {
  const baseline = measured(scenarios, SCENARIO.baseline)
  const baselineClean = baseline === undefined || isClean(baseline)
  const rssValues = scenarios.map((s) => s.maxRssMb).filter((v): v is number => v !== undefined)
  const maxRss = rssValues.length > 0 ? Math.max(...rssValues) : undefined
  return [
    ratioGoal('users/me >= 30% of baseline req/s', measured(scenarios, SCENARIO.me), baseline?.reqPerSec, 0.30, baselineClean),
    ratioGoal('users/me with EdDSA >= 95% of HS256 req/s', measured(scenarios, SCENARIO.meEdDSA), measured(scenarios, SCENARIO.me)?.reqPerSec, 0.95),
    ratioGoal('refresh >= 3% of baseline req/s', measured(scenarios, SCENARIO.refresh), baseline?.reqPerSec, 0.03, baselineClean),
    ratioGoal('login >= 85% of raw argon2 verify rate', measured(scenarios, SCENARIO.login), argon2?.verifiesPerSecond, 0.85),
    maxRss === undefined
      ? { goal: `max server RSS < ${RSS_LIMIT_MB} MB`, actual: '-', status: 'not measured' }
      : { goal: `max server RSS < ${RSS_LIMIT_MB} MB`, actual: `${maxRss.toFixed(1)} MB`, status: maxRss < RSS_LIMIT_MB ? 'met' : 'missed' }
  ]
}

function renderRows (rows: readonly string[][]): string {
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((r) => (r[col] ?? '').length))) ?? []
  const line = (r: readonly string[]): string => r.map((cell, col) => col === 0 ? cell.padEnd(widths[col] ?? 0) : cell.padStart(widths[col] ?? 0)).join('  ')
  const [header, ...body] = rows
  if (header === undefined) return ''
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n')
}

export function renderTable (scenarios: readonly ScenarioResult[], argon2: Argon2RateOutput | undefined): string {
  const baseline = measured(scenarios, SCENARIO.baseline)?.reqPerSec
  const rows = [['scenario', 'conns', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'max RSS MB', 'vs baseline', 'vs argon2']]
  for (const s of scenarios) {
    const m = s.measurement
    const vsArgon2 = s.name === SCENARIO.login && m !== undefined && argon2 !== undefined ? m.reqPerSec / argon2.verifiesPerSecond : undefined
    rows.push(m === undefined
      ? [s.name, String(s.connections), 'FAILED', '-', '-', '-', fmt(s.maxRssMb, 1), '-', '-']
      : [s.name, String(s.connections), fmt(m.reqPerSec, 1), fmt(m.p50Ms, 2), fmt(m.p99Ms, 2), String(m.non2xx),
          fmt(s.maxRssMb, 1), baseline === undefined ? '-' : pct(m.reqPerSec / baseline), pct(vsArgon2)])
  }
  if (argon2 !== undefined) {
    rows.push([`argon2id verify (raw, x${argon2.concurrency})`, '-', fmt(argon2.verifiesPerSecond, 1), '-', '-', '-', '-', '-', '100.0%'])
  }
  return renderRows(rows)
}

export function renderGoals (goals: readonly Goal[]): string {
  const mark: Record<GoalStatus, string> = { met: 'MET', missed: 'MISSED', invalid: 'INVALID', 'not measured': 'NOT MEASURED' }
  return goals.map((g) => `  [${mark[g.status]}] ${g.goal}: ${g.actual}${g.note === undefined ? '' : ` (${g.note})`}`).join('\n')
}

/** Writes `<timestamp>.json` and `latest.json`; returns the timestamped path. */
export async function saveResults (report: object, startedAt: Date): Promise<string> {
  await mkdir(resultsDir, { recursive: true })
  const json = `${JSON.stringify(report, null, 2)}\n`
  const file = join(resultsDir, `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`)
  await writeFile(file, json)
  await writeFile(join(resultsDir, 'latest.json'), json)
  return file
}
