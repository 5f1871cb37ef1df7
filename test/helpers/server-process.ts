/** Starts the service as its own process (as a user or an orchestrator would) and reads its log lines. */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'

export interface ServerProcess {
  readonly child: ChildProcess
  readonly url: string
  /** Every JSON log line so far. */
  readonly logs: Array<Record<string, unknown>>
  /** Resolves with the exit code once the process has ended. */
  readonly exited: Promise<number | null>
}

/** Spawns `command`, waits for Fastify's "Server listening" line and answers the address it names. */
export async function startServerProcess (command: string[], options: { cwd: string, env: Record<string, string>, timeoutMs?: number }): Promise<ServerProcess> {
  const [file, ...args] = command
  if (file === undefined) throw new Error('no command')
  const child = spawn(file, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] })
  const logs: Array<Record<string, unknown>> = []
  const stderr: string[] = []
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()))
  const exited = once(child, 'exit').then(([code]) => code as number | null)
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "Server listening" line in time; stderr: ${stderr.join('')}`)), options.timeoutMs ?? 60_000)
    exited.then((code) => reject(new Error(`the server exited with ${code}: ${stderr.join('')}`)), reject)
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let entry: Record<string, unknown>
      try { entry = JSON.parse(line) as Record<string, unknown> } catch { return }
      logs.push(entry)
      const match = typeof entry.msg === 'string' ? /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(entry.msg) : null
      if (match?.[1] !== undefined) { clearTimeout(timer); resolve(match[1]) }
    })
  })
  return { child, url, logs, exited }
}
