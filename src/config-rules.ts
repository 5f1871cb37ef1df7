/**
 * Rules across settings that a schema cannot say: combinations that would silently weaken a
 * production deployment are refused at start-up rather than discovered in an incident.
 */
import type { Config } from './config.js'

/** `CORS_ORIGINS` as origins the browser sends (scheme://host[:port], lower case, no slash), or what is wrong. */
export function parseCorsOrigins (value: string): { origins: string[], problems: string[] } {
  const origins: string[] = []
  const problems: string[] = []
  for (const entry of value.split(',').map((o) => o.trim()).filter((o) => o.length > 0)) {
    if (entry === '*') {
      problems.push('CORS_ORIGINS cannot hold "*": credentials are allowed, so list each origin')
      continue
    }
    let url: URL | undefined
    try {
      url = new URL(entry)
    } catch {
      url = undefined
    }
    const bare = url !== undefined && (url.pathname === '/' || url.pathname === '') && url.search === '' && url.hash === '' &&
      url.username === '' && url.password === ''
    if (url === undefined || !bare || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      problems.push(`CORS_ORIGINS entry "${entry}" is not an origin: write it as scheme://host[:port], e.g. https://app.example.com`)
      continue
    }
    // URL lower-cases the scheme and host and drops a default port and the trailing slash, as browsers send it.
    origins.push(url.origin)
  }
  return { origins: [...new Set(origins)], problems }
}

export function configProblems (config: Config): string[] {
  const problems = parseCorsOrigins(config.CORS_ORIGINS).problems
  const production = config.NODE_ENV === 'production'
  if (config.COOKIE_SAMESITE === 'none' && !config.COOKIE_SECURE) {
    problems.push('COOKIE_SAMESITE=none needs COOKIE_SECURE=true: browsers drop a SameSite=None cookie that is not Secure')
  }
  if (production && !config.COOKIE_SECURE) {
    problems.push('COOKIE_SECURE=false is refused in production: the refresh cookie would travel over plain HTTP')
  }
  if (production && config.TRUST_PROXY.trim().toLowerCase() === 'true') {
    problems.push('TRUST_PROXY=true is refused in production: anyone could pick their IP through X-Forwarded-For and dodge every per-IP limit; give the hop count or the proxies\' addresses/CIDRs')
  }
  if (production && config.SMTP_URL === undefined && !config.MAIL_LOG) {
    problems.push('SMTP_URL is required in production (or MAIL_LOG=true to log mail instead of sending it)')
  }
  return problems
}
