/** `/api/v1/auth/passkey`: passwordless sign-in with a discoverable credential. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { AuthenticationResponseJSON } from '@simplewebauthn/server'
import { Session, TransportHeaders } from '../../schemas/auth.js'
import { EmptyBody, PasskeyLoginBody, PasskeyLoginOptions } from '../../schemas/passkeys.js'
import { problems } from '../../schemas/problem.js'
import { originOf } from '../../plugins/auth.js'
import { authBodyLimit, LOGIN_LIMIT_GROUP, perMinute } from '../route-options.js'
import { sessionReply } from './transport.js'

async function defaultEmptyBody (request: { body: unknown }): Promise<void> {
  request.body ??= {}
}

const passkey: FastifyPluginAsyncTypebox = async (app) => {
  const { config } = app
  const bodyLimit = authBodyLimit(config)

  app.post('/passkey/options', {
    bodyLimit,
    // Each call keeps a challenge for 5 minutes: bounded per IP like the logins it starts.
    config: { rateLimit: perMinute(config.RATE_LIMIT_LOGIN_MAX) },
    preValidation: defaultEmptyBody,
    schema: {
      tags: ['auth', 'passkeys'],
      operationId: 'passkeyLoginOptions',
      summary: 'Start a passkey sign-in: request options for navigator.credentials.get()',
      description: 'Names no account (any discoverable credential of this site may answer), so nothing can be enumerated. ' +
        'The challenge is good once, for 5 minutes.',
      security: [],
      body: EmptyBody,
      response: { 200: PasskeyLoginOptions, ...problems(413, 415) }
    }
  }, async (_request, reply) => {
    reply.header('cache-control', 'no-store')
    return await app.passkeySignIn.options()
  })

  app.post('/passkey/login', {
    bodyLimit,
    config: { rateLimit: perMinute(config.RATE_LIMIT_LOGIN_MAX, LOGIN_LIMIT_GROUP) },
    schema: {
      tags: ['auth', 'passkeys'],
      operationId: 'passkeyLogin',
      summary: 'Sign in with a passkey',
      description: 'The access token\'s `amr` is `["hwk","mfa"]` when the authenticator verified the user, else `["hwk"]`. ' +
        'An account with a second factor whose authenticator did not verify the user answers 401 `mfa_required`, as a password login does. ' +
        'Every failure (unknown credential, bad signature, wrong origin or RP ID, stale challenge, counter going back) is 401 `invalid_passkey`.',
      security: [],
      headers: TransportHeaders,
      body: PasskeyLoginBody,
      response: { 200: Session, ...problems(401, 413, 415) }
    }
  }, async (request, reply) => {
    const issued = await app.passkeySignIn.signIn(request.body.challenge_id, request.body.response as AuthenticationResponseJSON, originOf(request))
    return sessionReply(request, reply, config, issued)
  })
}

export default passkey
