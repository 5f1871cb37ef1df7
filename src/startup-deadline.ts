/**
 * Start-up waits for a dependency for a bounded time, then fails with one line naming the setting:
 * an unreachable Redis or PostgreSQL must not leave the process hanging with nothing in the log.
 */
import { ConfigError } from './config-errors.js'

/** Where a URL points, without the user name or password it may carry. */
export function describeTarget (url: string): string {
  try {
    const { protocol, host } = new URL(url)
    return `${protocol}//${host}`
  } catch {
    return 'the configured address'
  }
}

const RETRY_DELAY_MS = 250

/**
 * Tries `attempt` until it succeeds or `timeoutMs` has passed; a dependency that comes up a moment
 * after the service (containers starting together) is still met.
 */
export async function untilReachable (setting: string, url: string, timeoutMs: number, attempt: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<'expired'>((resolve) => { timer = setTimeout(() => resolve('expired'), timeoutMs) })
  try {
    while (Date.now() < deadline) {
      const outcome = await Promise.race([attempt().then(() => 'ok' as const, (err: unknown) => { lastError = err; return 'failed' as const }), expired])
      if (outcome === 'ok') return
      if (outcome === 'expired') break
      await new Promise((resolve) => setTimeout(resolve, Math.min(RETRY_DELAY_MS, Math.max(0, deadline - Date.now()))))
    }
  } finally {
    clearTimeout(timer)
  }
  const reason = lastError instanceof Error && lastError.message !== '' ? lastError.message : 'no answer'
  throw new ConfigError([`${setting}: cannot reach ${describeTarget(url)} within ${Math.round(timeoutMs / 100) / 10} s (${reason})`])
}
