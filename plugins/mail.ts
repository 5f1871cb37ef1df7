/** Exposes `app.mailer` (SMTP or the development log) and `app.notifier`, the typed way services send mail. */
import fp from 'fastify-plugin'
import type { Config } from '../src/config.js'
import type { NoticeKind } from '../src/mail/kinds.js'
import { loadMailTemplates } from '../src/mail/templates.js'
import { createBackgroundTasks, type BackgroundTasks } from '../src/services/background.js'
import { createMailer, type Mailer } from '../src/services/mail.js'
import { createNotifier, productName, type Notifier } from '../src/services/notifier.js'

declare module 'fastify' {
  interface FastifyInstance {
    mailer: Mailer
    notifier: Notifier
    background: BackgroundTasks
  }
}

export function noticeSwitches (config: Config): Record<NoticeKind, boolean> {
  return {
    'email-change-requested': config.NOTIFY_EMAIL_CHANGE_REQUESTED,
    'password-changed': config.NOTIFY_PASSWORD_CHANGED,
    'new-sign-in': config.NOTIFY_NEW_SIGN_IN,
    'mfa-changed': config.NOTIFY_MFA_CHANGED,
    'identity-linked': config.NOTIFY_IDENTITY_LINKED
  }
}

export default fp(async (app) => {
  const { config } = app
  const templates = loadMailTemplates(config.MAIL_TEMPLATES_DIR, { warn: (message) => app.log.warn(message) })
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
  app.decorate('notifier', createNotifier({
    mailer,
    templates,
    background,
    settings: { appUrl: config.APP_URL, appName: productName(config.MAIL_FROM, config.APP_URL), notices: noticeSwitches(config) }
  }))
}, { name: 'mail', dependencies: ['config'] })
