/** What an app does around a provider sign-in: its PKCE pair, the authorize URL it opens, the exchange. */
import { createHash, randomBytes } from 'node:crypto'
import type { App } from '../../src/app.js'
import { APP_REDIRECT } from './identity-provider.js'

export function pkcePair (): { verifier: string, challenge: string } {
  const verifier = randomBytes(32).toString('base64url')
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') }
}

export function authorizeUrl (provider: string, challenge: string, extra: Record<string, string> = {}): string {
  const query = new URLSearchParams({ redirect_uri: APP_REDIRECT, code_challenge: challenge, code_challenge_method: 'S256', ...extra })
  return `/api/v1/auth/oauth/${provider}/authorize?${query.toString()}`
}

export const exchange = (app: App, code: string, verifier: string, headers: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url: '/api/v1/auth/oauth/exchange', payload: { code, code_verifier: verifier }, headers })

export const idTokenSignIn = (app: App, provider: string, payload: object) =>
  app.inject({ method: 'POST', url: `/api/v1/auth/oauth/${provider}/id-token`, payload })
