/** Samples a process's resident set size while a scenario runs. */
import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { promisify } from 'node:util'

const SAMPLE_EVERY_MS = 250
const run = promisify(execFile)

async function rssKiB (pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8')
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)
    if (match?.[1] !== undefined) return Number(match[1])
  } catch {
    // No procfs (macOS): ask ps instead.
  }
  try {
    const { stdout } = await run('ps', ['-o', 'rss=', '-p', String(pid)])
    const value = Number(stdout.trim())
    return Number.isFinite(value) && value > 0 ? value : undefined
  } catch {
    return undefined
  }
}

export interface RssSampler {
  /** Stops sampling; the largest RSS seen in MB, or undefined if none could be read. */
  stop: () => Promise<number | undefined>
}

export function sampleRss (pid: number): RssSampler {
  let maxKiB: number | undefined
  let pending: Promise<void> = Promise.resolve()
  const sample = (): void => {
    const next = rssKiB(pid).then((kib) => {
      if (kib !== undefined) maxKiB = Math.max(maxKiB ?? 0, kib)
    })
    pending = Promise.all([pending, next]).then(() => {})
  }
  sample()
  const timer = setInterval(sample, SAMPLE_EVERY_MS)
  return {
    stop: async () => {
      clearInterval(timer)
      sample()
      await pending
      return maxKiB === undefined ? undefined : maxKiB / 1024
    }
  }
}
