/**
 * The one way a service sends mail: `notifier.send('mfa-changed', user, { … })`. It renders the
 * kind's template with `X-Auth-Mail: <kind>` and hands the sending to the background tasks, so
 * neither SMTP latency nor an SMTP failure ever reaches the request that caused the mail.
 */
import { ACTION_PATHS, isActionKind, type MailKind, type MailRecipient, type MailVariables, type NoticeKind } from '../mail/kinds.js'
import { renderTemplate, type TemplateValues } from '../mail/render.js'
import type { MailTemplates } from '../mail/templates.js'
import type { BackgroundTasks } from './background.js'
import type { Mailer, MailMessage } from './mail.js'
import type { Config } from '../config.js'
import type { SessionOrigin } from './sessions.js'

export interface NotifierSettings {
  /** The client app: links are `<appUrl>/<path>?token=…`. */
  appUrl: string
  /** The product name mails speak in. */
  appName: string
  /** The notices left on (`NOTIFY_<KIND>`); action mails always go. */
  notices: Record<NoticeKind, boolean>
}

export interface NotifierDeps {
  mailer: Mailer
  templates: MailTemplates
  background: BackgroundTasks
  settings: NotifierSettings
  now?: () => Date
}

/** "30 minutes", "24 hours", "7 days". */
export function humanDuration (seconds: number): string {
  const unit = (n: number, name: string) => `${n} ${name}${n === 1 ? '' : 's'}`
  if (seconds >= 2 * 86400 && seconds % 86400 === 0) return unit(seconds / 86400, 'day')
  if (seconds >= 3600 && seconds % 3600 === 0) return unit(seconds / 3600, 'hour')
  return unit(Math.max(1, Math.round(seconds / 60)), 'minute')
}

// A user agent is whatever the client sent: one line, printable, short.
function device (userAgent: string | null): string {
  const cleaned = userAgent?.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+/gu, ' ').trim().slice(0, 200)
  return cleaned === undefined || cleaned === '' ? 'unknown' : cleaned
}

function originValues (origin: SessionOrigin): TemplateValues {
  return { ip: origin.ip ?? 'unknown', device: device(origin.userAgent) }
}

/** The display name of `MAIL_FROM` ("Example <no-reply@example.com>"), else the host of `APP_URL`. */
export function productName (mailFrom: string, appUrl: string): string {
  const display = /^\s*"?([^"<]+?)"?\s*</.exec(mailFrom)?.[1]?.trim()
  if (display !== undefined && display !== '') return display
  try {
    return new URL(appUrl).host
  } catch {
    return appUrl
  }
}

export function createNotifier ({ mailer, templates, background, settings, now = () => new Date() }: NotifierDeps) {
  const base = settings.appUrl.replace(/\/+$/, '')

  function kindValues<K extends MailKind> (kind: K, variables: MailVariables[K]): TemplateValues {
    if (isActionKind(kind)) {
      const action = variables as MailVariables['verify-email']
      return {
        link: `${base}/${ACTION_PATHS[kind]}?token=${encodeURIComponent(action.token)}`,
        code: action.code,
        expires_in: humanDuration(action.ttlSeconds)
      }
    }
    const notice = variables as MailVariables[NoticeKind]
    const values = originValues(notice.origin)
    if ('newEmail' in notice) values.new_email = notice.newEmail
    if ('factor' in notice) Object.assign(values, { factor: notice.factor, action: notice.action })
    if ('provider' in notice) Object.assign(values, { provider: notice.provider, provider_email: notice.providerEmail ?? 'no address shared' })
    return values
  }

  function render<K extends MailKind> (kind: K, to: MailRecipient, variables: MailVariables[K]): MailMessage {
    const values: TemplateValues = {
      app_name: settings.appName,
      app_url: settings.appUrl,
      username: to.username,
      email: to.email,
      time: now().toUTCString(),
      ...kindValues(kind, variables)
    }
    return {
      to: to.email,
      ...renderTemplate(templates[kind], values),
      // RFC 3834: no vacation replies to a machine's message.
      headers: { 'X-Auth-Mail': kind, 'Auto-Submitted': 'auto-generated' }
    }
  }

  /** Whether `send` mails this kind (a notice can be switched off). */
  const enabled = (kind: MailKind): boolean => isActionKind(kind) || settings.notices[kind]

  return {
    render,
    enabled,

    /** Renders now (the time is the event's) and sends in the background; returns at once. */
    send<K extends MailKind> (kind: K, to: MailRecipient, variables: MailVariables[K]): void {
      if (!enabled(kind)) return
      const message = render(kind, to, variables)
      background.run(`mail ${kind}`, () => mailer.send(message))
    }
  }
}

export type Notifier = ReturnType<typeof createNotifier>

/** The `NOTIFY_<KIND>` switches of the configuration. */
export function noticeSwitches (config: Config): Record<NoticeKind, boolean> {
  return {
    'email-change-requested': config.NOTIFY_EMAIL_CHANGE_REQUESTED,
    'password-changed': config.NOTIFY_PASSWORD_CHANGED,
    'new-sign-in': config.NOTIFY_NEW_SIGN_IN,
    'mfa-changed': config.NOTIFY_MFA_CHANGED,
    'identity-linked': config.NOTIFY_IDENTITY_LINKED
  }
}
