/** `/api/v1/users/me/identities`: the provider identities of the signed-in account. */
import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { problems } from '../../schemas/problem.js'
import { IdTokenBody, Identity, IdentityParams, LinkToken, ProviderParams } from '../../schemas/identity-providers.js'
import { authOf, originOf } from '../../plugins/auth.js'
import { authBodyLimit } from '../route-options.js'

const tags = ['users']
const security = [{ bearerAuth: [] }]

const identities: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticate)
  const bodyLimit = authBodyLimit(app.config)

  app.get('/me/identities', {
    schema: {
      tags,
      operationId: 'listMyIdentities',
      summary: 'The provider identities linked to the signed-in account',
      security,
      response: { 200: Type.Array(Identity), ...problems(401) }
    }
  }, async (request) => await app.providerSignIn.listIdentities(authOf(request).claims.sub))

  app.post('/me/identities/link-token', {
    schema: {
      tags,
      operationId: 'createIdentityLinkToken',
      summary: 'A single-use, 60-second token that links the provider of the next authorize redirect to this account',
      security,
      response: { 200: LinkToken, ...problems(401) }
    }
  }, async (request, reply) => {
    reply.header('cache-control', 'no-store')
    return { link_token: await app.providerSignIn.issueLinkToken(authOf(request).claims.sub) }
  })

  app.post('/me/identities/:provider/id-token', {
    bodyLimit,
    schema: {
      tags,
      operationId: 'linkIdentityWithIdToken',
      summary: 'Link a provider identity to the signed-in account with an ID token the platform gave the app',
      description: '409 `identity_taken` when the identity already belongs to another account; linking it again to this one changes nothing.',
      security,
      params: ProviderParams,
      body: IdTokenBody,
      response: { 201: Identity, ...problems(401, 404, 409, 413, 415, 502) }
    }
  }, async (request, reply) => {
    const { id_token: idToken, nonce } = request.body
    const identity = await app.providerSignIn.linkWithIdToken(authOf(request).claims.sub, request.params.provider, idToken, nonce, originOf(request))
    return reply.code(201).send(identity)
  })

  app.delete('/me/identities/:id', {
    schema: {
      tags,
      operationId: 'unlinkMyIdentity',
      summary: 'Unlink a provider identity from the signed-in account',
      description: '409 `last_credential` when nothing else (a password, another identity) would sign in to the account.',
      security,
      params: IdentityParams,
      response: { 204: { type: 'null', description: 'Unlinked' }, ...problems(401, 404, 409) }
    }
  }, async (request, reply) => {
    await app.providerSignIn.unlink(authOf(request).claims.sub, request.params.id, originOf(request))
    return reply.code(204).send()
  })
}

export default identities
