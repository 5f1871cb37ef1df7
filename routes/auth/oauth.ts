/** `/api/v1/auth/providers` and `/api/v1/auth/oauth/*`: sign-in with identity providers. */
import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { CallbackFailure } from '../../src/services/oidc/provider-sign-in.js'
import { toAppError } from '../../plugins/errors.js'
import { problems } from '../../schemas/problem.js'
import { Session, TransportHeaders } from '../../schemas/auth.js'
import { AuthorizeQuery, CallbackQuery, ExchangeBody, IdTokenBody, Provider, ProviderParams, Redirect } from '../../schemas/identity-providers.js'
import { originOf } from '../../plugins/auth.js'
import { authBodyLimit, LOGIN_LIMIT_GROUP, perMinute } from '../route-options.js'
import { sessionReply } from './transport.js'

const tags = ['auth']
const open: Array<Record<string, string[]>> = []
// A redirect carrying a login code or the provider's state must never be kept by a cache.
const noStore = { 'cache-control': 'no-store', pragma: 'no-cache' }

const oauth: FastifyPluginAsyncTypebox = async (app) => {
  const { config } = app
  const bodyLimit = authBodyLimit(config)
  const signInLimit = { rateLimit: perMinute(config.RATE_LIMIT_LOGIN_MAX, LOGIN_LIMIT_GROUP) }

  app.get('/providers', {
    schema: {
      tags,
      operationId: 'listIdentityProviders',
      summary: 'The identity providers configured for sign-in',
      security: open,
      response: { 200: Type.Array(Provider), ...problems() }
    }
  }, async () => app.providerSignIn.providers())

  app.get('/oauth/:provider/authorize', {
    schema: {
      tags,
      operationId: 'authorizeWithProvider',
      summary: 'Start a sign-in with a provider: redirects the browser to it',
      description: 'The app keeps a PKCE `code_verifier` and sends its S256 `code_challenge`; the login code that comes back to ' +
        '`redirect_uri` is exchanged with that verifier at `POST /auth/oauth/exchange`. A signed-in user linking a provider adds `link_token`.',
      security: open,
      params: ProviderParams,
      querystring: AuthorizeQuery,
      response: { 302: Redirect, ...problems(401, 404) }
    }
  }, async (request, reply) => {
    const { redirect_uri: redirectUri, code_challenge: codeChallenge, link_token: linkToken } = request.query
    const location = await app.providerSignIn.authorize(request.params.provider, { redirectUri, codeChallenge, linkToken })
    return reply.headers(noStore).redirect(location.href, 302)
  })

  app.get('/oauth/:provider/callback', {
    schema: {
      tags,
      operationId: 'providerCallback',
      summary: 'Where the provider sends the browser back: redirects to the app with a login code or an error',
      description: 'Redirects to `redirect_uri?code=…` (single use, 60 s) or `redirect_uri?error=<code>`. ' +
        'An unknown, used or expired `state` answers 400 `invalid_oauth_state` here instead: there is no app to send it to.',
      security: open,
      params: ProviderParams,
      querystring: CallbackQuery,
      response: { 302: Redirect, ...problems(404) }
    }
  }, async (request, reply) => {
    const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : ''
    let location: URL
    try {
      location = await app.providerSignIn.callback(request.params.provider, request.query.state, query)
    } catch (err) {
      if (!(err instanceof CallbackFailure)) throw err
      const problem = toAppError(err.cause)
      if (problem.status >= 500) request.log.warn({ err: err.cause, provider: request.params.provider }, 'provider sign-in failed')
      location = new URL(err.redirectUri)
      location.searchParams.set('error', problem.code)
    }
    return reply.headers(noStore).redirect(location.href, 302)
  })

  app.post('/oauth/exchange', {
    bodyLimit,
    config: signInLimit,
    schema: {
      tags,
      operationId: 'exchangeLoginCode',
      summary: 'Exchange the login code of a provider sign-in for a session',
      description: 'The code is spent by the first attempt, right or wrong. The identity signs in now, to the account the linking policy ' +
        'names (409 `account_exists`, `identity_taken`); an account with a second factor answers 401 `mfa_required`.',
      security: open,
      headers: TransportHeaders,
      body: ExchangeBody,
      response: { 200: Session, ...problems(401, 409, 413, 415, 502) }
    }
  }, async (request, reply) => {
    const issued = await app.providerSignIn.exchange(request.body.code, request.body.code_verifier, originOf(request))
    return sessionReply(request, reply, config, issued)
  })

  app.post('/oauth/:provider/id-token', {
    bodyLimit,
    config: signInLimit,
    schema: {
      tags,
      operationId: 'signInWithIdToken',
      summary: 'Native sign-in with an ID token the platform gave the app (Sign in with Apple, Google)',
      description: 'Checked against the provider\'s JWKS, `iss`, `aud` (its client ids), `exp`; with `nonce`, the token\'s nonce must equal ' +
        'it or its SHA-256 in hex. An account with a second factor answers 401 `mfa_required`.',
      security: open,
      params: ProviderParams,
      headers: TransportHeaders,
      body: IdTokenBody,
      response: { 200: Session, ...problems(401, 404, 409, 413, 415, 502) }
    }
  }, async (request, reply) => {
    const issued = await app.providerSignIn.signInWithIdToken(request.params.provider, request.body.id_token, request.body.nonce, originOf(request))
    return sessionReply(request, reply, config, issued)
  })
}

export default oauth
