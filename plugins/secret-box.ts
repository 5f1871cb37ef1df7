/** Exposes `app.secretBox`, which seals secrets kept at rest under `JWT_KEY_ENCRYPTION_KEY`. */
import fp from 'fastify-plugin'
import { resolveEncryptionKey } from '../src/services/encryption-key.js'
import { createSecretBox, type SecretBox } from '../src/services/secret-box.js'

declare module 'fastify' {
  interface FastifyInstance {
    secretBox: SecretBox
  }
}

export default fp(async (app) => {
  const key = await resolveEncryptionKey(app.config, { warn: (message) => app.log.warn(message) })
  app.decorate('secretBox', createSecretBox(key))
}, { name: 'secret-box', dependencies: ['config'] })
