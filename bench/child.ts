/** Runs a bench helper script (load.ts, argon2-rate.ts) in its own Node process, JSON in and JSON out. */
import { spawn } from 'node:child_process'
import { track } from './processes.js'
import { projectRoot } from './paths.js'

export async function runTsxChild<T> (script: string, input: unknown, timeoutMs: number): Promise<T> {
  const child = track(spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: projectRoot,
    stdio: ['pipe', 'pipe', 'inherit']
  }))
  const chunks: Buffer[] = []
  child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk))
  child.stdin?.end(JSON.stringify(input))

  return await new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${script} did not finish within ${timeoutMs} ms`))
    }, timeoutMs)
    child.once('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      const stdout = Buffer.concat(chunks).toString('utf8')
      if (code !== 0) {
        reject(new Error(`${script} exited with ${signal ?? `code ${code}`}: ${stdout.slice(-500)}`))
        return
      }
      try {
        resolve(JSON.parse(stdout) as T)
      } catch {
        reject(new Error(`${script} printed no valid JSON: ${stdout.slice(-500)}`))
      }
    })
  })
}

/** For the child side: the whole of stdin, parsed. */
export async function readStdinJson<T> (): Promise<T> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as T
}
