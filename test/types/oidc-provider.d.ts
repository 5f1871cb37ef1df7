/** The little of oidc-provider (which ships no types) that the test identity provider uses. */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http'

  export interface Grant {
    addOIDCScope: (scope: string) => void
    save: () => Promise<string>
  }

  export interface KoaContextWithOIDC {
    oidc: {
      client?: { clientId: string }
      session?: { accountId?: string }
      provider: Provider
    }
  }

  export interface Account {
    accountId: string
    claims: () => Record<string, unknown>
  }

  export default class Provider {
    constructor (issuer: string, configuration: Record<string, unknown>)
    callback (): (req: IncomingMessage, res: ServerResponse) => void
    interactionFinished (req: IncomingMessage, res: ServerResponse, result: object, options?: { mergeWithLastSubmission?: boolean }): Promise<void>
    Grant: new (properties: { clientId: string, accountId: string }) => Grant
  }
}
