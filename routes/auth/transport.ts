/**
 * Where the refresh token travels (`X-Auth-Transport`), the refresh cookie, and the CSRF rule
 * for cookie-only calls.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Config } from '../../src/config.js'
import { errors } from '../../src/errors.js'
import type { IssuedSession } from '../../src/services/auth.js'
import type { Session } from '../../schemas/auth.js'

export const REFRESH_COOKIE = 'refresh_token'
export const REFRESH_COOKIE_PATH = '/api/v1/auth'
export const TRANSPORT_HEADER = 'x-auth-transport'

export type Transport = 'cookie' | 'body' | 'both'

export function transportOf (request: FastifyRequest): Transport {
  const value = request.headers[TRANSPORT_HEADER]
  return value === 'cookie' || value === 'body' ? value : 'both'
}

function cookieOptions (config: Config) {
  return { path: REFRESH_COOKIE_PATH, httpOnly: true, secure: config.COOKIE_SECURE, sameSite: config.COOKIE_SAMESITE } as const
}

/** Sets the cookie and `no-store` as the transport asks, and returns the Session body. */
export function sessionReply (request: FastifyRequest, reply: FastifyReply, config: Config, issued: IssuedSession): Session {
  const transport = transportOf(request)
  reply.header('cache-control', 'no-store').header('pragma', 'no-cache')
  if (transport !== 'body') {
    reply.setCookie(REFRESH_COOKIE, issued.refreshToken, { ...cookieOptions(config), maxAge: issued.refreshExpiresIn })
  }
  return {
    access_token: issued.accessToken,
    token_type: 'bearer',
    expires_in: issued.expiresIn,
    ...(transport === 'cookie' ? {} : { refresh_token: issued.refreshToken }),
    refresh_expires_in: issued.refreshExpiresIn,
    user: issued.user
  }
}

export function clearRefreshCookie (reply: FastifyReply, config: Config): void {
  reply.clearCookie(REFRESH_COOKIE, cookieOptions(config))
}

export interface PresentedToken {
  token: string
  fromCookie: boolean
}

/**
 * The refresh token from the JSON body, else from the cookie. A browser sends the cookie on its
 * own, so a cookie-only call must also carry `X-Auth-Transport`: a custom header that no
 * cross-site form or simple request can set, and that CORS lets only `CORS_ORIGINS` send.
 */
export function presentedRefreshToken (request: FastifyRequest, fromBody: string | undefined): PresentedToken | undefined {
  if (fromBody !== undefined) return { token: fromBody, fromCookie: false }
  const cookie = request.cookies[REFRESH_COOKIE]
  if (cookie === undefined || cookie === '') return undefined
  if (request.headers[TRANSPORT_HEADER] === undefined) {
    throw errors.forbidden('A refresh token sent only as a cookie needs the X-Auth-Transport header (CSRF defence).')
  }
  return { token: cookie, fromCookie: true }
}
