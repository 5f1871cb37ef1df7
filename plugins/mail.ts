/** Exposes `app.mailer` (SMTP or the development log) and the background tasks that send mail off the request path. */
import fp from 'fastify-plugin'
import { createBackgroundTasks, type BackgroundTasks } from '../src/services/background.js'
import { createMailer, type Mailer } from '../src/services/mail.js'

declare module 'fastify' {
  interface FastifyInstance {
    mailer: Mailer
    background: BackgroundTasks
  }
}

export default fp(async (app) => {
  const { config } = app
  const mailer = createMailer(config, app.log)
  if (mailer.transport === 'log') app.log.warn('SMTP_URL is not set: mails (password reset links) are written to the log instead of being sent')
  const background = createBackgroundTasks(app.log)
  // Closes run in reverse order of registration: pending mails and audit rows finish before the database closes.
  app.addHook('onClose', async () => {
    await background.idle()
    mailer.close()
  })
  app.decorate('mailer', mailer)
  app.decorate('background', background)
}, { name: 'mail', dependencies: ['config'] })
