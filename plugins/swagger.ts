/** The OpenAPI 3 document (`/docs/json`) and Swagger UI (`/docs`), built from the route schemas. */
import fp from 'fastify-plugin'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'

export default fp<{ version: string }>(async (app, { version }) => {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Auth Service',
        version,
        description: 'Registration, login, short-lived JWT access tokens and rotating refresh tokens, sessions, roles. ' +
          'Errors are RFC 9457 problem details with a stable `code`.'
      },
      tags: [
        { name: 'auth', description: 'Tokens and sessions' },
        { name: 'users', description: 'Accounts' },
        { name: 'roles', description: 'Roles and their permissions' },
        { name: 'health', description: 'Probes' },
        { name: 'meta', description: 'Service metadata' }
      ],
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
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
    }
  })
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { persistAuthorization: false } })
}, { name: 'swagger' })
