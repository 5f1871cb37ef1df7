/**
 * Sign-in with identity providers: discovers the providers of `OIDC_PROVIDERS` at start-up (one
 * that is down does not stop the service) and exposes `app.identityProviders` (the registry, for
 * readiness) and `app.providerSignIn`.
 */
import fp from 'fastify-plugin'
import { listOf } from '../src/oidc-settings.js'
import { createIdentityLinking, type LinkedNotice } from '../src/services/oidc/identity-linking.js'
import { createOneTimeCodes } from '../src/services/oidc/one-time-codes.js'
import { createProviderRegistry, type ProviderRegistry } from '../src/services/oidc/provider-registry.js'
import { createProviderSignIn, type ProviderSignIn } from '../src/services/oidc/provider-sign-in.js'
import { createRedirectFlow } from '../src/services/oidc/redirect-flow.js'

declare module 'fastify' {
  interface FastifyInstance {
    identityProviders: ProviderRegistry
    providerSignIn: ProviderSignIn
  }
}

export const CALLBACK_PATH = (provider: string): string => `/api/v1/auth/oauth/${encodeURIComponent(provider)}/callback`

export default fp(async (app) => {
  const { config } = app
  const registry = createProviderRegistry({
    providers: config.oidc_providers,
    allowInsecureHttp: config.OIDC_ALLOW_INSECURE_HTTP,
    retrySeconds: config.OIDC_REFETCH_INTERVAL,
    log: app.log
  })
  await registry.start()

  const publicUrl = config.PUBLIC_URL.replace(/\/+$/, '')
  const notifyLinked = ({ userId, provider, providerEmail, origin }: LinkedNotice): void => {
    app.background.run('identity-linked mail', async () => {
      const user = await app.users.findPublic(userId)
      if (user !== undefined) app.notifier.send('identity-linked', user, { provider, providerEmail, origin })
    })
  }
  app.decorate('identityProviders', registry)
  app.decorate('providerSignIn', createProviderSignIn({
    registry,
    flow: createRedirectFlow({ registry, store: app.ephemeral, callbackUrl: (provider) => new URL(publicUrl + CALLBACK_PATH(provider)) }),
    codes: createOneTimeCodes(app.ephemeral),
    linking: createIdentityLinking({ db: app.db, audit: app.audit, notifyLinked }),
    redirectUris: listOf(config.OAUTH_REDIRECT_URIS),
    // The one step after a verified first factor: a session, or 401 mfa_required for an account with a second factor.
    completeSignIn: (userId, amr, origin) => app.signIn.complete(userId, amr, origin)
  }))
}, { name: 'identity-providers', dependencies: ['config', 'db', 'stores', 'access-tokens', 'mail', 'services'] })
