/**
 * Benchmark orchestrator (`npm run bench`): starts the built server, runs each load scenario from a
 * separate autocannon process, measures the raw argon2id verify rate, prints and saves the figures.
 * Exits 0 even when goals are missed; non-zero when the server will not start or a scenario crashes.
 */
import { rmSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import type { Database } from '../src/db/types.js'
import { createPasswordHasher } from '../src/services/password-hasher.js'
import { runTsxChild } from './child.js'
import { backendLabel, loadBenchConfig, type BenchConfig } from './config.js'
import { argon2Script } from './paths.js'
import { atExit, installCleanup } from './processes.js'
import { evaluateGoals, renderGoals, renderTable, saveResults, SCENARIO, type ScenarioResult } from './report.js'
import { mePlan, runScenario, scenarioPlans } from './scenarios.js'
import { seed } from './seed.js'
import { reportedBackends, startServer, type ServerHandle } from './server.js'
import type { Argon2RateOutput, Argon2RateSpec } from './types.js'

function errorMessage (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

function redactUrl (url: string | undefined): string | undefined {
  if (url === undefined) return undefined
  try {
    const parsed = new URL(url)
    if (parsed.password !== '') parsed.password = '***'
    return parsed.toString()
  } catch {
    return '(unparseable URL)'
  }
}

function warnLoudly (result: ScenarioResult): void {
  const m = result.measurement
  if (m === undefined) return
  const problems: string[] = []
  if (m.non2xx > 0) problems.push(`${m.non2xx} non-2xx responses (status codes: ${JSON.stringify(m.statusCodes)})`)
  if (m.errors > 0) problems.push(`${m.errors} connection errors`)
  if (m.timeouts > 0) problems.push(`${m.timeouts} timeouts`)
  if (m.chains !== undefined && (m.chains.lost > 0 || m.chains.exhausted > 0)) {
    problems.push(`${m.chains.lost} refresh chains broken, ${m.chains.exhausted} requests sent without a live chain`)
  }
  if (problems.length === 0) return
  const bar = '!'.repeat(78)
  console.error(`\n${bar}\n!!! ${result.name}: ${problems.join('; ')}\n${bar}\n`)
}

async function runAllScenarios (config: BenchConfig, server: ServerHandle, plans = scenarioPlans(config, server.baseUrl)): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = []
  for (const plan of plans) {
    console.log(`- ${plan.name}: ${plan.connections} connections, ${config.durationSeconds} s`)
    try {
      const result = await runScenario(plan, server)
      warnLoudly(result)
      results.push(result)
    } catch (err) {
      console.error(`!!! ${plan.name} FAILED: ${errorMessage(err)}`)
      results.push({ name: plan.name, connections: plan.connections, maxRssMb: undefined, error: errorMessage(err) })
    }
  }
  return results
}

/** GET /users/me again on a server signing with managed EdDSA keys, to compare with HS256. */
async function eddsaScenarios (config: BenchConfig, workDir: string): Promise<ScenarioResult[]> {
  const dir = join(workDir, 'eddsa')
  await mkdir(dir, { recursive: true })
  let server: ServerHandle | undefined
  try {
    server = await startServer(config, dir, 'managed')
    return await runAllScenarios(config, server, [mePlan(config, server.baseUrl, SCENARIO.meEdDSA, 'meEdDSA')])
  } catch (err) {
    console.error(`!!! ${SCENARIO.meEdDSA} FAILED: ${errorMessage(err)}`)
    return [{ name: SCENARIO.meEdDSA, connections: config.connections, maxRssMb: undefined, error: errorMessage(err) }]
  } finally {
    await server?.stop()
  }
}

async function measureArgon2 (config: BenchConfig): Promise<Argon2RateOutput | { error: string }> {
  console.log(`- raw argon2id verify: ${config.argon2Concurrency} concurrent, ${config.argon2Seconds} s`)
  const spec: Argon2RateSpec = { params: config.argon2, concurrency: config.argon2Concurrency, durationSeconds: config.argon2Seconds }
  try {
    return await runTsxChild<Argon2RateOutput>(argon2Script, spec, config.argon2Seconds * 1000 + 60_000)
  } catch (err) {
    console.error(`!!! raw argon2id verify FAILED: ${errorMessage(err)}`)
    return { error: errorMessage(err) }
  }
}

/** Seeds the server's database (migrated by its start) with `--seed N` accounts and their history. */
async function seedDatabase (config: BenchConfig): Promise<void> {
  if (config.databaseUrl === undefined) throw new Error('--seed needs BENCH_DATABASE_URL (PostgreSQL)')
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: config.databaseUrl, max: 2 }) }) })
  try {
    const started = Date.now()
    const hash = await createPasswordHasher(config.argon2, 1).hash('a seeded account password')
    await seed(db, hash, { users: config.seedUsers })
    console.log(`- seeded ${config.seedUsers} accounts in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  } finally {
    await db.destroy()
  }
}

async function bench (config: BenchConfig, workDir: string): Promise<number> {
  const startedAt = new Date()
  const backend = backendLabel(config)
  console.log(`backend: ${backend}`)
  console.log(`cpus: ${availableParallelism()} x ${cpus()[0]?.model ?? 'unknown'}, node ${process.version}`)

  let server: ServerHandle | undefined
  let scenarios: ScenarioResult[]
  let serverLog: string
  let serverBackends: string | undefined
  try {
    server = await startServer(config, workDir)
    serverBackends = reportedBackends(server.readinessReport)
    console.log(`server pid ${server.pid} ready at ${server.baseUrl} (reports: ${serverBackends ?? 'no backend info'})`)
    if (config.seedUsers > 0) await seedDatabase(config)
    scenarios = await runAllScenarios(config, server)
    serverLog = server.logTail()
  } finally {
    await server?.stop()
  }
  scenarios.push(...await eddsaScenarios(config, workDir))

  const argon2Outcome = await measureArgon2(config)
  const argon2 = 'error' in argon2Outcome ? undefined : argon2Outcome
  const goals = evaluateGoals(scenarios, argon2)

  console.log(`\nbackend: ${backend} (server reports: ${serverBackends ?? 'no backend info'})\n`)
  console.log(renderTable(scenarios, argon2))
  console.log(`\ngoals:\n${renderGoals(goals)}`)
  if (serverLog !== '') console.log(`\nserver log (warn and above, last lines):\n${serverLog}`)

  const file = await saveResults({
    startedAt: startedAt.toISOString(),
    backend,
    serverBackends,
    databaseUrl: redactUrl(config.databaseUrl),
    redisUrl: redactUrl(config.redisUrl),
    node: process.version,
    cpus: availableParallelism(),
    config: { ...config, databaseUrl: undefined, redisUrl: undefined },
    scenarios,
    argon2: argon2Outcome,
    goals,
    serverLog
  }, startedAt)
  console.log(`\nsaved ${file}`)

  const crashed = scenarios.some((s) => s.error !== undefined) || argon2 === undefined
  return crashed ? 1 : 0
}

async function main (): Promise<void> {
  installCleanup()
  const config = loadBenchConfig()
  const workDir = await mkdtemp(join(tmpdir(), 'auth-bench-'))
  atExit(() => rmSync(workDir, { recursive: true, force: true, maxRetries: 3 }))
  try {
    process.exitCode = await bench(config, workDir)
  } finally {
    await rm(workDir, { recursive: true, force: true })
  }
}

main().catch((err: unknown) => {
  console.error(`bench failed: ${errorMessage(err)}`)
  process.exitCode = 1
})
