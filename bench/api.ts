/** The few service calls the bench makes itself, to prepare and sanity-check each scenario. */
import type { Credentials } from './types.js'

export const PATHS = {
  liveness: '/health/liveness',
  register: '/api/v1/auth/register',
  login: '/api/v1/auth/login',
  refresh: '/api/v1/auth/refresh',
  me: '/api/v1/users/me'
} as const

/** Keeps refresh tokens in the JSON body rather than in a cookie. */
export const BODY_TRANSPORT = { 'x-auth-transport': 'body' } as const

export interface Session {
  accessToken: string
  refreshToken: string
}

export interface NewUser extends Credentials {
  email: string
}

async function call (baseUrl: string, path: string, init: RequestInit): Promise<{ status: number, body: unknown }> {
  const res = await fetch(`${baseUrl}${path}`, { ...init, signal: AbortSignal.timeout(30_000) })
  const text = await res.text()
  let body: unknown = text
  try {
    body = JSON.parse(text)
  } catch {
    // Keep the raw text for the error message.
  }
  return { status: res.status, body }
}

function describe (what: string, status: number, body: unknown): Error {
  return new Error(`${what} answered ${status}: ${JSON.stringify(body).slice(0, 300)}`)
}

function toSession (what: string, status: number, body: unknown): Session {
  if (typeof body === 'object' && body !== null && 'access_token' in body && 'refresh_token' in body) {
    const { access_token: accessToken, refresh_token: refreshToken } = body
    if (typeof accessToken === 'string' && typeof refreshToken === 'string') return { accessToken, refreshToken }
  }
  throw describe(`${what} (no access_token/refresh_token in body)`, status, body)
}

async function postSession (baseUrl: string, path: string, payload: object, expected: number): Promise<Session> {
  const { status, body } = await call(baseUrl, path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...BODY_TRANSPORT },
    body: JSON.stringify(payload)
  })
  if (status !== expected) throw describe(`POST ${path}`, status, body)
  return toSession(`POST ${path}`, status, body)
}

export async function register (baseUrl: string, user: NewUser): Promise<Session> {
  return await postSession(baseUrl, PATHS.register, user, 201)
}

export async function login (baseUrl: string, credentials: Credentials): Promise<Session> {
  return await postSession(baseUrl, PATHS.login, credentials, 200)
}

export async function refresh (baseUrl: string, refreshToken: string): Promise<Session> {
  return await postSession(baseUrl, PATHS.refresh, { refresh_token: refreshToken }, 200)
}

export async function assertMe (baseUrl: string, accessToken: string): Promise<void> {
  const { status, body } = await call(baseUrl, PATHS.me, { headers: { authorization: `Bearer ${accessToken}` } })
  if (status !== 200) throw describe(`GET ${PATHS.me}`, status, body)
}
