/** `/api/v1/users/me/passkeys`: the signed-in account adds, lists, renames and removes its passkeys. */
import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { RegistrationResponseJSON } from '@simplewebauthn/server'
import { problems } from '../../schemas/problem.js'
import { AddPasskeyBody, CreationOptions, EmptyBody, Passkey, PasskeyParams, RenamePasskeyBody } from '../../schemas/passkeys.js'
import { authOf, originOf } from '../../plugins/auth.js'

const security = [{ bearerAuth: [] }]
const PasskeyRef = Type.Ref(Passkey)

// An options call may come with no body at all.
async function defaultEmptyBody (request: { body: unknown }): Promise<void> {
  request.body ??= {}
}

const passkeys: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticate)

  app.post('/me/passkeys/options', {
    preValidation: defaultEmptyBody,
    schema: {
      tags: ['passkeys'],
      operationId: 'passkeyRegistrationOptions',
      summary: 'Start adding a passkey: creation options for navigator.credentials.create()',
      description: 'Resident key and user verification preferred; the account\'s passkeys are excluded. The challenge is good once, for 5 minutes.',
      security,
      body: EmptyBody,
      response: { 200: CreationOptions, ...problems(401, 413, 415) }
    }
  }, async (request, reply) => {
    reply.header('cache-control', 'no-store')
    return await app.passkeys.registrationOptions(authOf(request).claims.sub)
  })

  app.post('/me/passkeys', {
    schema: {
      tags: ['passkeys'],
      operationId: 'addPasskey',
      summary: 'Finish adding a passkey with the authenticator\'s registration response',
      description: 'A response that fails verification (origin, RP ID, challenge used or expired, a credential already registered) is 401 `invalid_passkey`.',
      security,
      body: AddPasskeyBody,
      response: { 201: PasskeyRef, ...problems(401, 413, 415) }
    }
  }, async (request, reply) => {
    const { response, name } = request.body
    const added = await app.passkeys.register(authOf(request).claims.sub, response as RegistrationResponseJSON, name, originOf(request))
    return reply.code(201).send(added)
  })

  app.get('/me/passkeys', {
    schema: {
      tags: ['passkeys'],
      operationId: 'listPasskeys',
      summary: 'The passkeys of the signed-in account, oldest first',
      security,
      response: { 200: Type.Array(PasskeyRef), ...problems(401) }
    }
  }, async (request) => await app.passkeys.list(authOf(request).claims.sub))

  app.patch('/me/passkeys/:id', {
    schema: {
      tags: ['passkeys'],
      operationId: 'renamePasskey',
      summary: 'Rename one of your passkeys',
      security,
      params: PasskeyParams,
      body: RenamePasskeyBody,
      response: { 200: PasskeyRef, ...problems(401, 404, 413, 415) }
    }
  }, async (request) => await app.passkeys.rename(authOf(request).claims.sub, request.params.id, request.body.name))

  app.delete('/me/passkeys/:id', {
    schema: {
      tags: ['passkeys'],
      operationId: 'deletePasskey',
      summary: 'Remove one of your passkeys',
      description: '409 `last_credential` when the account would be left with no way to sign in.',
      security,
      params: PasskeyParams,
      response: { 204: { type: 'null', description: 'Removed' }, ...problems(401, 404, 409) }
    }
  }, async (request, reply) => {
    await app.passkeys.remove(authOf(request).claims.sub, request.params.id, originOf(request))
    return reply.code(204).send()
  })
}

export default passkeys
