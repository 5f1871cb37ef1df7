/** Passkey ceremonies through HTTP, with the software authenticator standing in for the browser. */
import type { App } from '../../src/app.js'
import { bearer } from './app.js'
import { createSoftAuthenticator, type Ceremony, type SoftAuthenticatorOptions } from './soft-authenticator.js'

/** The relying party of the test config: APP_URL's default, http://localhost:3000. */
export const TEST_ORIGIN = 'http://localhost:3000'
export const TEST_RP_ID = 'localhost'

export function testAuthenticator (options: Partial<SoftAuthenticatorOptions> = {}) {
  return createSoftAuthenticator({ origin: TEST_ORIGIN, rpId: TEST_RP_ID, ...options })
}

export type TestAuthenticator = ReturnType<typeof testAuthenticator>

export async function registrationOptions (app: App, accessToken: string) {
  const res = await app.inject({ method: 'POST', url: '/api/v1/users/me/passkeys/options', headers: bearer(accessToken) })
  if (res.statusCode !== 200) throw new Error(`registration options failed: ${res.statusCode} ${res.body}`)
  return res.json()
}

/** Runs a whole registration; answers the HTTP response of the finishing call and the new credential. */
export async function addPasskey (app: App, accessToken: string, authenticator: TestAuthenticator, ceremony: Ceremony & { name?: string } = {}) {
  const options = await registrationOptions(app, accessToken)
  const { credential, json } = authenticator.create(options, ceremony)
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/users/me/passkeys',
    headers: bearer(accessToken),
    payload: { response: json, ...(ceremony.name === undefined ? {} : { name: ceremony.name }) }
  })
  return { res, credential, options }
}

export async function loginOptions (app: App) {
  const res = await app.inject({ method: 'POST', url: '/api/v1/auth/passkey/options', payload: {} })
  if (res.statusCode !== 200) throw new Error(`login options failed: ${res.statusCode} ${res.body}`)
  return res.json<{ challenge_id: string, options: { challenge: string, rpId: string } }>()
}

/** A whole passwordless sign-in. */
export async function passkeyLogin (app: App, authenticator: TestAuthenticator, ceremony: Ceremony = {}, headers: Record<string, string> = {}) {
  const { challenge_id: challengeId, options } = await loginOptions(app)
  const response = authenticator.get(options, ceremony)
  return await app.inject({ method: 'POST', url: '/api/v1/auth/passkey/login', headers, payload: { challenge_id: challengeId, response } })
}
