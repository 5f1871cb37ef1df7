/** `/api/v1/auth`: proving an email address with the link or the code of a `verify-email` mail, and asking for another. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Accepted, ResendVerificationBody, Session, TransportHeaders, VerifyEmailBody } from '../../schemas/auth.js'
import { problems } from '../../schemas/problem.js'
import { authBodyLimit, perMinute } from '../route-options.js'
import { originOf } from '../../plugins/auth.js'
import { sessionReply } from './transport.js'

export const RESEND_REQUESTED = 'If this address waits for a verification, a new link and code are on their way.'

const verification: FastifyPluginAsyncTypebox = async (app) => {
  const { config } = app
  const bodyLimit = authBodyLimit(config)

  app.post('/verify-email', {
    bodyLimit,
    config: { rateLimit: perMinute(config.RATE_LIMIT_VERIFY_EMAIL_MAX) },
    schema: {
      tags: ['auth'],
      operationId: 'verifyEmail',
      summary: 'Verify the email with the link token or the mailed code, and start a session',
      description: 'Marks the email verified, or applies a pending email change, then signs in like a password login. ' +
        'A code is accepted with the address it was mailed to; 5 wrong codes for an address void its code. ' +
        '409 `email_taken` when another account took a pending address first.',
      security: [],
      headers: TransportHeaders,
      body: VerifyEmailBody,
      response: { 200: Session, ...problems(401, 409, 413, 415) }
    }
  }, async (request, reply) => {
    const issued = await app.authService.verifyEmail(request.body, originOf(request))
    return sessionReply(request, reply, config, issued)
  })

  app.post('/resend-verification', {
    bodyLimit,
    config: { rateLimit: perMinute(config.RATE_LIMIT_RESEND_VERIFICATION_MAX) },
    schema: {
      tags: ['auth'],
      operationId: 'resendVerification',
      summary: 'Mail a new verification link and code; the older one stops working',
      description: 'Always 202 with the same body, whatever the address; the lookup and the mail happen in the background.',
      security: [],
      body: ResendVerificationBody,
      response: { 202: Accepted, ...problems(413, 415) }
    }
  }, async (request, reply) => {
    // Counted before any lookup, for every address, so neither a 429 nor its timing says whether an account waits.
    await app.resendVerificationLimiter.consume(request.body.email)
    app.emailVerification.resend(request.body.email, originOf(request))
    reply.code(202)
    return { message: RESEND_REQUESTED }
  })
}

export default verification
