/** What route files share in their options: rate limits, body limits, security requirements, the empty answer. */
import type { RateLimitOptions } from '@fastify/rate-limit'
import type { Config } from '../src/config.js'
import { RATE_LIMIT_WINDOW_MS } from '../plugins/rate-limit.js'

/** A route's own limit: `max` requests a minute per client IP, shared by the routes of `groupId`. */
export function perMinute (max: number, groupId?: string): RateLimitOptions {
  return { max, timeWindow: RATE_LIMIT_WINDOW_MS, ...(groupId === undefined ? {} : { groupId }) }
}

/** Password logins through `/login` and `/token` share one per-IP budget. */
export const LOGIN_LIMIT_GROUP = 'login'

/** Bodies of the auth routes: the largest legitimate one (register) stays well under this. */
const AUTH_BODY_LIMIT = 8 * 1024

export function authBodyLimit (config: Config): number {
  return Math.min(config.BODY_LIMIT, AUTH_BODY_LIMIT)
}

/** OpenAPI security requirements: an access token, */
export const BEARER = [{ bearerAuth: [] }]
/** an access token or nothing, */
export const BEARER_OR_NONE = [...BEARER, {}]
/** and nothing at all. */
export const NO_AUTH = []

/** The response schema of a 204. */
export function noContent (description: string) {
  return { type: 'null', description } as const
}
