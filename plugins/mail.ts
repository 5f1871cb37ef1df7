/** Exposes `app.mailer` (SMTP or the development log) and closes its connections with the app. */
import fp from 'fastify-plugin'
import { createMailer, type Mailer } from '../src/services/mail.js'

declare module 'fastify' {
  interface FastifyInstance {
    mailer: Mailer
  }
}

export default fp(async (app) => {
  const mailer = createMailer(app.config, app.log)
  if (mailer.transport === 'log') app.log.warn('SMTP_URL is not set: mails (password reset links) are written to the log instead of being sent')
  app.addHook('onClose', async () => mailer.close())
  app.decorate('mailer', mailer)
}, { name: 'mail', dependencies: ['config'] })
