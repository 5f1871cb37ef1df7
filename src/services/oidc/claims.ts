/** The part of a provider's ID token claims the service uses, read defensively: providers differ. */

export interface ProviderIdentity {
  provider: string
  subject: string
  /** Lower case; null when the provider shares none. */
  email: string | null
  /** Only a literal `true` (or Apple's string `"true"`) counts. */
  emailVerified: boolean
  /** Hints for the username of a new account, best first. */
  nameHints: string[]
}

const text = (value: unknown): string | undefined => typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined

export function identityFromClaims (provider: string, claims: Record<string, unknown>): ProviderIdentity {
  const subject = text(claims.sub)
  if (subject === undefined) throw new TypeError('the ID token has no subject')
  const email = text(claims.email)?.toLowerCase() ?? null
  return {
    provider,
    subject,
    email,
    emailVerified: email !== null && (claims.email_verified === true || claims.email_verified === 'true'),
    nameHints: [claims.preferred_username, claims.nickname, claims.name, claims.given_name, email?.split('@')[0]]
      .map(text).filter((hint): hint is string => hint !== undefined)
  }
}
