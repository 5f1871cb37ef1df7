/**
 * Load generator, run as its own process so it does not share a CPU-bound event loop with the
 * orchestrator. Reads a LoadSpec (JSON) on stdin, runs autocannon, prints a LoadOutput (JSON) on stdout.
 */
import autocannon from 'autocannon'
import { readStdinJson } from './child.js'
import type { ChainStats, Credentials, LoadOutput, LoadSpec } from './types.js'

type Request = autocannon.Request

const JSON_HEADERS = { 'content-type': 'application/json' }

function roundRobin<T> (items: readonly T[]): () => T {
  let next = 0
  return () => items[next++ % items.length] as T
}

function meRequests (path: string, tokens: readonly string[]): Request[] {
  const nextToken = roundRobin(tokens)
  return [{
    method: 'GET',
    path,
    setupRequest: (req) => ({ ...req, headers: { ...req.headers, authorization: `Bearer ${nextToken()}` } })
  }]
}

function loginRequests (path: string, credentials: readonly Credentials[]): Request[] {
  const nextUser = roundRobin(credentials)
  return [{
    method: 'POST',
    path,
    headers: { ...JSON_HEADERS, 'x-auth-transport': 'body' },
    setupRequest: (req) => ({ ...req, body: JSON.stringify(nextUser()) })
  }]
}

function newRefreshToken (status: number, body: string): string | undefined {
  if (status < 200 || status > 299) return undefined
  try {
    const parsed: unknown = JSON.parse(body)
    if (typeof parsed === 'object' && parsed !== null && 'refresh_token' in parsed && typeof parsed.refresh_token === 'string') {
      return parsed.refresh_token
    }
  } catch {
    // Counted as a lost chain below.
  }
  return undefined
}

/*
 * autocannon resets a connection's context every time it loops back to the first request, which with
 * a one-request list is before every request, so the chain cannot live in the context. Instead the
 * unused tokens wait in a shared pool: a request takes one, its response puts the rotated one back.
 * With one request in flight per connection, a connection always finds the token its own previous
 * response returned, so no token is ever sent twice. The context only remembers what was sent.
 */
function refreshRequests (path: string, tokens: readonly string[], stats: ChainStats): Request[] {
  const pool = [...tokens]
  const sent = new WeakMap<object, string>()
  return [{
    method: 'POST',
    path,
    headers: { ...JSON_HEADERS, 'x-auth-transport': 'body' },
    setupRequest: (req, context) => {
      const token = pool.shift()
      if (token === undefined) stats.exhausted++
      else sent.set(context, token)
      return { ...req, body: JSON.stringify({ refresh_token: token ?? 'bench-no-chain-left' }) }
    },
    onResponse: (status, body, context) => {
      if (!sent.has(context)) return
      sent.delete(context)
      const rotated = newRefreshToken(status, body)
      if (rotated === undefined) stats.lost++
      else pool.push(rotated)
    }
  }]
}

function options (spec: LoadSpec, chains: ChainStats): autocannon.Options {
  const base = { url: spec.url, connections: spec.connections, duration: spec.durationSeconds }
  switch (spec.kind) {
    case 'liveness': return { ...base, url: `${spec.url}/health/liveness` }
    case 'me': return { ...base, requests: meRequests('/api/v1/users/me', spec.accessTokens) }
    case 'refresh': return { ...base, requests: refreshRequests('/api/v1/auth/refresh', spec.refreshTokens, chains) }
    case 'login': return { ...base, requests: loginRequests('/api/v1/auth/login', spec.credentials) }
  }
}

async function main (): Promise<void> {
  const spec = await readStdinJson<LoadSpec>()
  const chains: ChainStats = { lost: 0, exhausted: 0 }
  const result = await autocannon(options(spec, chains))
  const output: LoadOutput = spec.kind === 'refresh' ? { result, chains } : { result }
  process.stdout.write(JSON.stringify(output))
}

main().catch((err: unknown) => {
  console.error('bench/load.ts:', err)
  process.exitCode = 1
})
