/** Reading the mails a test's SMTP server received, by kind and recipient, whatever order the background sent them in. */
import { setTimeout as sleep } from 'node:timers/promises'
import type { MailKind } from '../../src/mail/kinds.js'
import { parseMail, type ReceivedMail, type TestSmtpServer } from './smtp.js'

export interface AuthMail {
  kind: string
  /** The envelope sender. */
  from: string
  to: string[]
  subject: string
  text: string
  html: string
  headers: Map<string, string>
  /** The `token` of the link, when the mail has one. */
  token: string | undefined
  /** The 6-digit code, when the mail has one. */
  code: string | undefined
}

export function readAuthMail (received: ReceivedMail): AuthMail {
  const parsed = parseMail(received.raw)
  const text = parsed.parts.get('text/plain') ?? ''
  return {
    kind: parsed.headers.get('x-auth-mail') ?? '',
    from: received.from,
    to: received.to,
    subject: parsed.headers.get('subject') ?? '',
    text,
    html: parsed.parts.get('text/html') ?? '',
    headers: parsed.headers,
    token: /\?token=([A-Za-z0-9_-]+)/.exec(text)?.[1],
    code: /^ {4}(\d{6})$/m.exec(text)?.[1]
  }
}

export interface Inbox {
  /** The first mail of this kind (to this address) not taken yet, waiting for it to arrive. */
  take: (kind: MailKind, to?: string, timeoutMs?: number) => Promise<AuthMail>
  /** The mails not taken yet, once every pending send has settled. */
  rest: (settle: () => Promise<void>) => Promise<AuthMail[]>
}

export function inboxOf (smtp: TestSmtpServer): Inbox {
  const taken = new Set<ReceivedMail>()
  const untaken = () => smtp.received.filter((m) => !taken.has(m))
  return {
    async take (kind, to, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const found = untaken().find((m) => readAuthMail(m).kind === kind && (to === undefined || m.to.includes(to)))
        if (found !== undefined) {
          taken.add(found)
          return readAuthMail(found)
        }
        if (Date.now() > deadline) throw new Error(`no ${kind} mail${to === undefined ? '' : ` to ${to}`} arrived`)
        await sleep(10)
      }
    },
    async rest (settle) {
      await settle()
      return untaken().map(readAuthMail)
    }
  }
}
