/** Second factors in tests: a clock the test moves, codes computed from the secret, an account with TOTP on. */
import { Secret, TOTP } from 'otpauth'
import type { App } from '../../src/app.js'
import type { Clock } from '../../plugins/clock.js'
import { bearer, TEST_PASSWORD, type SessionBody } from './app.js'

export interface TestClock extends Clock {
  advance: (seconds: number) => void
}

/** Starts at the real time, on the first second of a 30-second step, so a test knows which step it is in. */
export function testClock (): TestClock {
  let current = Math.floor(Date.now() / 30_000) * 30_000
  return {
    now: () => current,
    advance: (seconds) => { current += seconds * 1000 }
  }
}

/** The code an authenticator app shows for `secret` at `timestampMs`. */
export function totpCode (secret: string, timestampMs: number): string {
  return new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: timestampMs })
}

export interface MfaProblem {
  code: string
  mfa_token: string
  methods: string[]
}

/** Enrolls and confirms TOTP through the API; answers the secret and the recovery codes. */
export async function enableTotp (app: App, clock: Clock, session: SessionBody, password = TEST_PASSWORD) {
  const start = await app.inject({ method: 'POST', url: '/api/v1/users/me/mfa/totp', headers: bearer(session.access_token), payload: { password } })
  if (start.statusCode !== 200) throw new Error(`enrollment failed: ${start.statusCode} ${start.body}`)
  const { secret, otpauth_uri: uri } = start.json<{ secret: string, otpauth_uri: string }>()
  const confirm = await app.inject({
    method: 'POST',
    url: '/api/v1/users/me/mfa/totp/confirm',
    headers: bearer(session.access_token),
    payload: { code: totpCode(secret, clock.now()) }
  })
  if (confirm.statusCode !== 200) throw new Error(`confirmation failed: ${confirm.statusCode} ${confirm.body}`)
  return { secret, uri, recoveryCodes: confirm.json<{ recovery_codes: string[] }>().recovery_codes }
}

/** A password login that must answer `mfa_required`; answers its problem body. */
export async function loginForMfaToken (app: App, login: string, password = TEST_PASSWORD): Promise<MfaProblem> {
  const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: login, password } })
  if (res.statusCode !== 401) throw new Error(`expected mfa_required: ${res.statusCode} ${res.body}`)
  return res.json<MfaProblem>()
}

export const verifyMfa = (app: App, payload: object, headers: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url: '/api/v1/auth/mfa/verify', payload, headers })
