/** `/api/v1/auth`: password recovery by mail (public) and password change (signed in, in its own guarded plugin). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Accepted, ChangePasswordBody, ForgotPasswordBody, ResetPasswordBody } from '../../schemas/auth.js'
import { problems } from '../../schemas/problem.js'
import { authOf, originOf } from '../../plugins/auth.js'
import { authBodyLimit, BEARER, NO_AUTH, noContent, perMinute } from '../route-options.js'

export const RESET_REQUESTED = 'If an account with this email exists, a link to reset its password is on its way.'

const password: FastifyPluginAsyncTypebox = async (app) => {
  const bodyLimit = authBodyLimit(app.config)

  app.post('/forgot-password', {
    bodyLimit,
    config: { rateLimit: perMinute(app.config.RATE_LIMIT_FORGOT_MAX) },
    schema: {
      tags: ['auth'],
      operationId: 'forgotPassword',
      summary: 'Mail a single-use password reset link and code',
      description: 'Always 202 with the same body, whether or not the account exists; the mail is sent in the background. ' +
        'The link is `APP_URL/reset-password?token=…` and works once, within `RESET_TOKEN_TTL` seconds (default 30 minutes).',
      security: NO_AUTH,
      body: ForgotPasswordBody,
      response: { 202: Accepted, ...problems(413, 415) }
    }
  }, async (request, reply) => {
    // Counted before any lookup, for every address, so neither a 429 nor its timing says whether the account exists.
    await app.forgotPasswordLimiter.consume(request.body.email)
    app.accounts.requestPasswordReset(request.body.email, originOf(request))
    reply.code(202)
    return { message: RESET_REQUESTED }
  })

  app.post('/reset-password', {
    bodyLimit,
    schema: {
      tags: ['auth'],
      operationId: 'resetPassword',
      summary: 'Set a new password with the link token or the code of the reset mail',
      description: 'Ends every session of the user; access tokens issued before answer `token_revoked`.',
      security: NO_AUTH,
      body: ResetPasswordBody,
      response: { 204: noContent('Password changed; every session ended'), ...problems(413, 415) }
    }
  }, async (request, reply) => {
    const { new_password: newPassword, ...proof } = request.body
    await app.accounts.resetPassword(proof, newPassword, originOf(request))
    return reply.code(204).send()
  })

  await app.register(signedIn)
}

const signedIn: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticate)

  app.post('/change-password', {
    bodyLimit: authBodyLimit(app.config),
    schema: {
      tags: ['auth'],
      operationId: 'changePassword',
      summary: 'Change the password; every other session ends, this one stays',
      description: 'With MFA on, also needs `mfa_code` (400 `mfa_code_required` without it, 401 `invalid_mfa_code` when wrong).',
      security: BEARER,
      body: ChangePasswordBody,
      response: { 204: noContent('Password changed; every other session ended'), ...problems(401, 413, 415) }
    }
  }, async (request, reply) => {
    const { claims } = authOf(request)
    const { current_password: current, new_password: next, mfa_code: mfaCode } = request.body
    await app.accounts.changePassword(claims.sub, claims.sid, current, next, mfaCode, originOf(request))
    return reply.code(204).send()
  })
}

export default password
