/** The kinds of mail the service sends, what each one needs from its caller, and the variables its templates see. */
import type { SessionOrigin } from '../services/sessions.js'

export const MAIL_KINDS = [
  'verify-email',
  'reset-password',
  'email-change-requested',
  'password-changed',
  'new-sign-in',
  'mfa-changed',
  'identity-linked'
] as const
export type MailKind = typeof MAIL_KINDS[number]

/** The kinds that ask the user to act: they carry a link `APP_URL/<path>?token=…` and a 6-digit code. */
export const ACTION_PATHS = {
  'verify-email': 'verify-email',
  'reset-password': 'reset-password'
} as const satisfies Partial<Record<MailKind, string>>
export type ActionKind = keyof typeof ACTION_PATHS

/** The security notices, each of which `NOTIFY_<KIND>=false` turns off; the action mails cannot be. */
export type NoticeKind = Exclude<MailKind, ActionKind>

interface ActionVariables {
  /** The secret of the link; only ever rendered into `link`. */
  token: string
  code: string
  ttlSeconds: number
}

/** What a caller passes with each kind: `notifier.send(kind, recipient, variables)`. */
export interface MailVariables {
  'verify-email': ActionVariables
  'reset-password': ActionVariables
  'email-change-requested': { newEmail: string, origin: SessionOrigin }
  'password-changed': { origin: SessionOrigin }
  'new-sign-in': { origin: SessionOrigin }
  /** `factor` names what changed ("Authenticator app", "Passkey “Work laptop”", "Recovery codes", "All second factors"). */
  'mfa-changed': { action: 'added' | 'removed' | 'regenerated', factor: string, origin: SessionOrigin }
  /** `provider` is the provider's display name; `providerEmail` the address it asserted, if any. */
  'identity-linked': { provider: string, providerEmail: string | null, origin: SessionOrigin }
}

export interface MailRecipient {
  email: string
  username: string
}

/** Every template sees these. */
export const COMMON_VARIABLES = ['app_name', 'app_url', 'username', 'email', 'time'] as const

const ORIGIN_VARIABLES = ['ip', 'device'] as const

/** The placeholders each kind's templates may use, beyond the common ones (a template naming another is refused at start-up). */
export const TEMPLATE_VARIABLES = {
  'verify-email': ['link', 'code', 'expires_in'],
  'reset-password': ['link', 'code', 'expires_in'],
  'email-change-requested': ['new_email', ...ORIGIN_VARIABLES],
  'password-changed': [...ORIGIN_VARIABLES],
  'new-sign-in': [...ORIGIN_VARIABLES],
  'mfa-changed': ['action', 'factor', ...ORIGIN_VARIABLES],
  'identity-linked': ['provider', 'provider_email', ...ORIGIN_VARIABLES]
} as const satisfies Record<MailKind, readonly string[]>

export function isActionKind (kind: MailKind): kind is ActionKind {
  return kind in ACTION_PATHS
}
