/** `/api/v1/users/me/mfa…`: the signed-in account's second factors. Every route here needs an access token. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { problems } from '../../schemas/problem.js'
import { ConfirmTotpBody, MfaChangeBody, MfaStatus, RecoveryCodes, StartTotpBody, TotpEnrollment } from '../../schemas/mfa.js'
import { authOf, originOf } from '../../plugins/auth.js'
import { authBodyLimit } from '../route-options.js'

const security = [{ bearerAuth: [] }]
const tags = ['mfa']

const mfa: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticate)
  const bodyLimit = authBodyLimit(app.config)
  // Secrets and recovery codes are shown once: no cache may keep them.
  const noStore = { 'cache-control': 'no-store', pragma: 'no-cache' }

  app.get('/me/mfa', {
    schema: {
      tags,
      operationId: 'getMyMfa',
      summary: 'The second factors of the signed-in account',
      security,
      response: { 200: MfaStatus, ...problems(401) }
    }
  }, async (request) => await app.mfaEnrollment.status(authOf(request).claims.sub))

  app.post('/me/mfa/totp', {
    bodyLimit,
    schema: {
      tags,
      operationId: 'startTotpEnrollment',
      summary: 'Start a TOTP enrollment: a new secret, pending for 10 minutes',
      description: 'Needs the password. Show `otpauth_uri` as a QR code (and `secret` for typing in), then confirm with a code. ' +
        'Starting again replaces a pending enrollment; 409 `conflict` while TOTP is on.',
      security,
      body: StartTotpBody,
      response: { 200: TotpEnrollment, ...problems(401, 409, 413, 415) }
    }
  }, async (request, reply) => {
    const enrollment = await app.mfaEnrollment.startTotp(authOf(request).claims.sub, request.body.password, originOf(request))
    reply.headers(noStore)
    return enrollment
  })

  app.post('/me/mfa/totp/confirm', {
    bodyLimit,
    schema: {
      tags,
      operationId: 'confirmTotpEnrollment',
      summary: 'Turn TOTP on with a code from the app; answers 10 recovery codes, shown once',
      description: '401 `invalid_mfa_code` for a wrong code; 404 when no enrollment is pending (none, or over 10 minutes old).',
      security,
      body: ConfirmTotpBody,
      response: { 200: RecoveryCodes, ...problems(401, 404, 409, 413, 415) }
    }
  }, async (request, reply) => {
    const codes = await app.mfaEnrollment.confirmTotp(authOf(request).claims.sub, request.body.code, originOf(request))
    reply.headers(noStore)
    return { recovery_codes: codes }
  })

  app.delete('/me/mfa/totp', {
    bodyLimit,
    schema: {
      tags,
      operationId: 'disableTotp',
      summary: 'Turn TOTP off; every recovery code goes with it',
      description: 'Needs the password and, while TOTP is on, `mfa_code`. Also discards a pending enrollment.',
      security,
      body: MfaChangeBody,
      response: { 204: { type: 'null', description: 'TOTP is off' }, ...problems(401, 413, 415) }
    }
  }, async (request, reply) => {
    await app.mfaEnrollment.disableTotp(authOf(request).claims.sub, request.body.password, request.body.mfa_code, originOf(request))
    return reply.code(204).send()
  })

  app.post('/me/mfa/recovery-codes', {
    bodyLimit,
    schema: {
      tags,
      operationId: 'regenerateRecoveryCodes',
      summary: 'New recovery codes; the old ones stop working',
      description: 'Needs the password and `mfa_code`; 409 `conflict` while TOTP is off.',
      security,
      body: MfaChangeBody,
      response: { 200: RecoveryCodes, ...problems(401, 409, 413, 415) }
    }
  }, async (request, reply) => {
    const { claims } = authOf(request)
    const codes = await app.mfaEnrollment.regenerateRecoveryCodes(claims.sub, request.body.password, request.body.mfa_code, originOf(request))
    reply.headers(noStore)
    return { recovery_codes: codes }
  })
}

export default mfa
