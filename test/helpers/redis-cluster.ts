/**
 * A real Redis Cluster for the tests: three masters on free ports of 127.0.0.1, joined by
 * `redis-cli --cluster create`, each killable and restartable; torn down with the test.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import type { Test } from 'tap'
import { freePort } from './failure.js'

const run = promisify(execFile)

export interface RedisClusterServers {
  /** `host:port` of every master, as REDIS_CLUSTER_NODES takes them. */
  readonly nodes: string[]
  /** SIGKILL of one master: its slots are unserved until it is back. */
  kill: (index: number) => Promise<void>
  /** Starts that master again with its saved cluster configuration. */
  start: (index: number) => Promise<void>
}

/** Why a private cluster cannot run here, or undefined when it can. */
export function redisClusterMissing (): string | undefined {
  for (const binary of ['redis-server', 'redis-cli']) {
    const probe = spawnSync(binary, ['--version'], { stdio: 'ignore' })
    if (probe.error !== undefined || probe.status !== 0) return `${binary} is not installed`
  }
  return undefined
}

async function clusterState (port: number): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'cluster', 'info'], { timeout: 5000 })
  return /cluster_state:(\w+)/.exec(stdout)?.[1] ?? 'unknown'
}

export async function startRedisCluster (t: Test, masters = 3): Promise<RedisClusterServers> {
  const dir = await mkdtemp(join(tmpdir(), 'auth-service-redis-cluster-'))
  const ports = await Promise.all(Array.from({ length: masters }, () => freePort()))
  const children: Array<ChildProcess | undefined> = ports.map(() => undefined)
  const start = async (index: number) => {
    const port = ports[index]!
    const child = spawn('redis-server', [
      '--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes',
      '--cluster-config-file', join(dir, `nodes-${port}.conf`), '--cluster-node-timeout', '2000',
      '--dir', dir, '--save', '', '--appendonly', 'no'
    ], { stdio: 'ignore' })
    children[index] = child
    for (let i = 0; i < 100; i++) {
      try {
        await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'ping'], { timeout: 2000 })
        return
      } catch {
        await sleep(50)
      }
    }
    throw new Error(`redis-server on ${port} did not start`)
  }
  const kill = async (index: number) => {
    const child = children[index]
    children[index] = undefined
    if (child === undefined || child.exitCode !== null) return
    const exited = once(child, 'exit')
    child.kill('SIGKILL')
    await exited
  }
  const killAll = () => { for (const child of children) child?.kill('SIGKILL') }
  // Even when the test process dies early, no server outlives it.
  process.once('exit', killAll)
  t.teardown(async () => {
    await Promise.all(ports.map((_, i) => kill(i)))
    await rm(dir, { recursive: true, force: true })
  })
  await Promise.all(ports.map((_, i) => start(i)))
  const nodes = ports.map((port) => `127.0.0.1:${port}`)
  await run('redis-cli', ['--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes'], { timeout: 60_000 })
  await waitForClusterOk(ports)
  return {
    nodes,
    kill,
    async start (index) {
      await start(index)
      await waitForClusterOk(ports)
    }
  }
}

async function waitForClusterOk (ports: number[]): Promise<void> {
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    const states = await Promise.all(ports.map((p) => clusterState(p).catch(() => 'down')))
    if (states.every((s) => s === 'ok')) return
    await sleep(100)
  }
  throw new Error('the Redis Cluster did not reach cluster_state:ok')
}
