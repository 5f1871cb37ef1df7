/** `POST /api/v1/auth/mfa/verify`: the second step of a sign-in that answered `mfa_required`. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { errors } from '../../src/errors.js'
import type { SecondFactorProof } from '../../src/services/mfa-login.js'
import { Session, TransportHeaders } from '../../schemas/auth.js'
import { MfaVerifyBody } from '../../schemas/mfa.js'
import { problems } from '../../schemas/problem.js'
import { originOf } from '../../plugins/auth.js'
import { authBodyLimit, LOGIN_LIMIT_GROUP, perMinute } from '../route-options.js'
import { sessionReply } from './transport.js'

function proofOf (body: MfaVerifyBody): SecondFactorProof {
  if (body.code !== undefined && body.recovery_code === undefined) return { kind: 'totp', code: body.code }
  if (body.recovery_code !== undefined && body.code === undefined) return { kind: 'recovery_code', code: body.recovery_code }
  throw errors.validation('Give exactly one of `code` or `recovery_code`.', [{ path: '/code', message: 'exactly one of code or recovery_code is required' }])
}

const mfaVerify: FastifyPluginAsyncTypebox = async (app) => {
  app.post('/mfa/verify', {
    bodyLimit: authBodyLimit(app.config),
    // Part of a login: it shares the login routes' per-IP budget.
    config: { rateLimit: perMinute(app.config.RATE_LIMIT_LOGIN_MAX, LOGIN_LIMIT_GROUP) },
    schema: {
      tags: ['auth', 'mfa'],
      operationId: 'verifyMfa',
      summary: 'Complete a login with the second factor',
      description: '`mfa_token` from the `mfa_required` answer, with a TOTP `code` or a `recovery_code`. 401 `invalid_mfa_code` ' +
        'for a wrong, reused or expired code; after 5 wrong codes, or once used, the token is `invalid_mfa_token`: log in again.',
      security: [],
      headers: TransportHeaders,
      body: MfaVerifyBody,
      response: { 200: Session, ...problems(401, 413, 415) }
    }
  }, async (request, reply) => {
    const issued = await app.mfaLogin.verify(request.body.mfa_token, proofOf(request.body), originOf(request))
    return sessionReply(request, reply, app.config, issued)
  })
}

export default mfaVerify
