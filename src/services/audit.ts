/**
 * The audit trail (`auth_events`): who did what, when, from which IP and user agent. Each event
 * type fixes the shape of its details, so no caller can slip a secret into a row.
 */
import type { Kysely } from 'kysely'
import { insertAuthEvent } from '../db/audit-repository.js'
import type { Database } from '../db/types.js'
import type { LogoutScope } from './auth.js'
import type { BackgroundTasks } from './background.js'
import type { SessionOrigin } from './sessions.js'

export type AuthEvent =
  /** session_id null: `EMAIL_VERIFICATION=required`, the session starts at verification. */
  | { type: 'register', userId: string, details: { session_id: string | null } }
  | { type: 'login_succeeded', userId: string, details: { session_id: string, amr: string[] } }
  /** The first factor was right; an `mfa_token` was handed out for the second. */
  | { type: 'mfa_required', userId: string, details: { methods: string[], amr: string[] } }
  | { type: 'login_failed', userId: string | null, details: { reason: 'unknown_account' | 'wrong_password' | 'inactive_account' | 'email_not_verified' } }
  | { type: 'refresh_reuse_detected', userId: string, details: { session_id: string } }
  /** `session`: one session ended by id (`DELETE /users/me/sessions/{id}`). */
  | { type: 'logout', userId: string, details: { scope: LogoutScope | 'session', session_id: string } }
  /** userId null: no live, active account has the email asked for. */
  | { type: 'password_reset_requested', userId: string | null }
  | { type: 'password_reset_completed', userId: string }
  | { type: 'password_changed', userId: string }
  | { type: 'profile_updated', userId: string, details: { fields: Array<'email' | 'username'> } }
  | { type: 'account_deleted', userId: string }
  /** userId: the first account waiting for a verification at that address, null when none is. */
  | { type: 'verification_resend_requested', userId: string | null }
  | { type: 'email_verification_failed', userId: null, details: { by: 'link' | 'code' } }
  | { type: 'email_verified', userId: string, details: { by: 'link' | 'code', email_changed: boolean } }
  | { type: 'email_change_requested', userId: string }
  /** An administrator set or cleared `email_verified`. */
  | { type: 'email_verified_set', userId: string, details: { email_verified: boolean, set_by: string } }
  /** An administrator soft-deleted someone else's account. */
  | { type: 'account_deleted', userId: string, details: { deleted_by: string } }

export type AuthEventType = AuthEvent['type']

export interface AuditLog {
  /** Writes the row off the caller's path: no request waits for it, and a failure is logged, not thrown. */
  record: (event: AuthEvent, origin: SessionOrigin | null) => void
}

export function createAuditLog (db: Kysely<Database>, background: BackgroundTasks): AuditLog {
  return {
    record (event, origin) {
      // The moment of the event, not of the write.
      const createdAt = new Date()
      background.run(`audit ${event.type}`, () => insertAuthEvent(db, {
        userId: event.userId,
        type: event.type,
        createdAt,
        ip: origin?.ip ?? null,
        userAgent: origin?.userAgent?.slice(0, 512) ?? null,
        details: 'details' in event ? event.details : {}
      }))
    }
  }
}
