/** Outgoing mail: SMTP through nodemailer when `SMTP_URL` is set, otherwise written to the log for development. */
import nodemailer from 'nodemailer'
import type { Config } from '../config.js'

export interface MailMessage {
  to: string
  subject: string
  text: string
  html: string
  /** Extra headers, such as `X-Auth-Mail`. */
  headers?: Record<string, string>
}

export interface Mailer {
  readonly transport: 'smtp' | 'log'
  send: (message: MailMessage) => Promise<void>
  close: () => void
}

export interface MailLogger {
  info: (details: object, message: string) => void
}

// A stalled server must not hold a background send (and so a graceful shutdown) for nodemailer's default minutes.
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 }

export function createMailer (config: Pick<Config, 'SMTP_URL' | 'MAIL_FROM' | 'NODE_ENV'>, log: MailLogger): Mailer {
  if (config.SMTP_URL === undefined) {
    // A logged reset link is a working credential: production logs get the envelope only.
    const withBody = config.NODE_ENV !== 'production'
    return {
      transport: 'log',
      async send ({ to, subject, text, headers }) {
        const kind = headers?.['X-Auth-Mail']
        log.info({ mail: { from: config.MAIL_FROM, to, subject, ...(kind === undefined ? {} : { kind }), ...(withBody ? { text } : {}) } }, 'mail not sent (SMTP_URL is not set)')
      },
      close () {}
    }
  }
  const transporter = nodemailer.createTransport(config.SMTP_URL, { from: config.MAIL_FROM, ...SMTP_TIMEOUTS })
  return {
    transport: 'smtp',
    async send (message) {
      await transporter.sendMail(message)
    },
    close: () => transporter.close()
  }
}
