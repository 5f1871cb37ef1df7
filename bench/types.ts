/** Shapes shared by the orchestrator (run.ts) and its child processes (load.ts, argon2-rate.ts). */
import type autocannon from 'autocannon'

export interface Credentials {
  username: string
  password: string
}

interface LoadBase {
  url: string
  connections: number
  durationSeconds: number
}

/** What load.ts is asked to do, sent as JSON on its stdin. */
export type LoadSpec =
  | LoadBase & { kind: 'liveness' }
  | LoadBase & { kind: 'me', accessTokens: string[] }
  | LoadBase & { kind: 'refresh', refreshTokens: string[] }
  | LoadBase & { kind: 'login', credentials: Credentials[] }

export interface ChainStats {
  /** Responses that did not yield a new refresh token: that chain is gone. */
  lost: number
  /** Requests sent with a placeholder token because every chain was gone. */
  exhausted: number
}

/** What load.ts prints on stdout. */
export interface LoadOutput {
  result: autocannon.Result
  chains?: ChainStats
}

export interface Argon2Params {
  memoryCost: number
  timeCost: number
  parallelism: number
}

export interface Argon2RateSpec {
  params: Argon2Params
  concurrency: number
  durationSeconds: number
}

/** What argon2-rate.ts prints on stdout. */
export interface Argon2RateOutput {
  params: Argon2Params
  concurrency: number
  threadpoolSize: number
  verifies: number
  elapsedMs: number
  verifiesPerSecond: number
}
