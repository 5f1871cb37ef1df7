/** The OpenAPI 3 document (`/docs/json`) and Swagger UI (`/docs`), built from the route schemas. */
import fp from 'fastify-plugin'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { documentObject, documentRoute } from './openapi-document.js'

// Swagger UI loads its own scripts and styles from /docs and styles elements inline; nothing else.
const DOCS_CSP = {
  'default-src': ["'self'"],
  'base-uri': ["'self'"],
  'connect-src': ["'self'"],
  'font-src': ["'self'", 'data:'],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
  'img-src': ["'self'", 'data:'],
  'object-src': ["'none'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'", "'unsafe-inline'"]
}

export default fp<{ version: string }>(async (app, { version }) => {
  // Read when the document is first asked for, once every shared schema is registered.
  const sharedSchemaIds = () => new Set(Object.keys(app.getSchemas()))
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Auth Service',
        version,
        description: 'Registration, login, short-lived JWT access tokens and rotating refresh tokens, sessions, roles. ' +
          'Errors are RFC 9457 problem details with a stable `code`.',
        license: { name: 'MIT', url: 'https://opensource.org/licenses/MIT' }
      },
      // Relative, so the document is right wherever the service is reached; API paths carry /api/v1.
      servers: [{ url: '/', description: 'This service: the API under /api/v1, probes, docs and metadata at the root' }],
      tags: [
        { name: 'auth', description: 'Tokens and sessions' },
        { name: 'users', description: 'Accounts' },
        { name: 'mfa', description: 'Second factors: TOTP, recovery codes, the login step' },
        { name: 'roles', description: 'Roles and their permissions' },
        { name: 'passkeys', description: 'Passkeys (WebAuthn): adding them, and signing in with them' },
        { name: 'health', description: 'Probes' },
        { name: 'meta', description: 'Service metadata' }
      ],
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          introspectionClient: { type: 'http', scheme: 'basic', description: 'A client of INTROSPECTION_CLIENTS' },
          oauth2: {
            type: 'oauth2',
            flows: { password: { tokenUrl: '/api/v1/auth/token', refreshUrl: '/api/v1/auth/token', scopes: {} } }
          }
        }
      }
    },
    // Shared schemas keep their own names in components.schemas instead of def-N.
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => typeof json.$id === 'string' ? json.$id : `def-${i}`
    },
    transform: ({ route }) => documentRoute(route, sharedSchemaIds()),
    transformObject: (documents) => 'openapiObject' in documents ? documentObject(documents.openapiObject) : documents.swaggerObject
  })
  // The docs are not rate limited: every route Swagger UI adds is marked like the health probes.
  await app.register(async (docs) => {
    docs.addHook('onRoute', (route) => { route.config = { ...route.config, rateLimit: false } })
    await docs.register(swaggerUi, { routePrefix: '/docs', uiConfig: { persistAuthorization: false }, staticCSP: DOCS_CSP })
  })
}, { name: 'swagger' })
