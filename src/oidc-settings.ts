/**
 * The settings of each identity provider, read from `OIDC_PROVIDERS` and `OIDC_<NAME>_*`. They
 * are gathered here into one object that the config schema then validates like every other setting.
 */
import { Type, type Static } from '@sinclair/typebox'

export const PROVIDER_NAME_PATTERN = '^[a-z][a-z0-9_]{0,31}$'

export const OidcProviderSchema = Type.Object({
  name: Type.String({ pattern: PROVIDER_NAME_PATTERN }),
  ISSUER: Type.String({ pattern: '^https?://[^\\s]+$' }),
  CLIENT_ID: Type.String({ minLength: 1 }),
  CLIENT_SECRET: Type.Optional(Type.String({ minLength: 1 })),
  CLIENT_IDS: Type.String({ default: '' }),
  SCOPES: Type.String({ default: 'openid email profile' })
}, { additionalProperties: false })
export type OidcProviderSettings = Static<typeof OidcProviderSchema>

const SETTING_KEYS = ['ISSUER', 'CLIENT_ID', 'CLIENT_SECRET', 'CLIENT_IDS', 'SCOPES'] as const

export function listOf (value: string): string[] {
  return value.split(/[\s,]+/).map((item) => item.trim()).filter((item) => item.length > 0)
}

/** `{ name, ISSUER, CLIENT_ID, … }` for each name of `OIDC_PROVIDERS` (names are lower case; their keys upper case). */
export function gatherOidcProviders (env: Record<string, string | undefined>): Array<Record<string, string>> {
  return listOf(env.OIDC_PROVIDERS ?? '').map((name) => {
    const prefix = `OIDC_${name.toUpperCase()}_`
    const entry: Record<string, string> = { name }
    for (const key of SETTING_KEYS) {
      const value = env[prefix + key]
      if (value !== undefined && value !== '') entry[key] = value
    }
    return entry
  })
}
