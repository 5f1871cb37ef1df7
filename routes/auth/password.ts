/** `/api/v1/auth`: password recovery by mail (public) and password change (signed in). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Accepted, ForgotPasswordBody, ResetPasswordBody } from '../../schemas/auth.js'
import { problems } from '../../schemas/problem.js'

export const RESET_REQUESTED = 'If an account with this email exists, a link to reset its password is on its way.'

const password: FastifyPluginAsyncTypebox = async (app) => {
  app.post('/forgot-password', {
    schema: {
      tags: ['auth'],
      operationId: 'forgotPassword',
      summary: 'Mail a single-use password reset link',
      description: 'Always 202 with the same body, whether or not the account exists; the mail is sent in the background. ' +
        'The link is `APP_URL/reset-password?token=…` and works once, within `RESET_TOKEN_TTL` seconds (default 30 minutes).',
      security: [],
      body: ForgotPasswordBody,
      response: { 202: Accepted, ...problems(413, 415) }
    }
  }, async (request, reply) => {
    app.accounts.requestPasswordReset(request.body.email)
    reply.code(202)
    return { message: RESET_REQUESTED }
  })

  app.post('/reset-password', {
    schema: {
      tags: ['auth'],
      operationId: 'resetPassword',
      summary: 'Set a new password with the token from the reset mail',
      description: 'Ends every session of the user; access tokens issued before answer `token_revoked`.',
      security: [],
      body: ResetPasswordBody,
      response: { 204: { type: 'null', description: 'Password changed; every session ended' }, ...problems(413, 415) }
    }
  }, async (request, reply) => {
    await app.accounts.resetPassword(request.body.token, request.body.new_password)
    return reply.code(204).send()
  })
}

export default password
