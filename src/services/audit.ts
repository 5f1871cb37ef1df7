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
  | { type: 'mfa_totp_enrollment_started', userId: string }
  | { type: 'mfa_totp_enabled', userId: string }
  | { type: 'mfa_totp_disabled', userId: string }
  | { type: 'mfa_recovery_codes_regenerated', userId: string }
  | { type: 'mfa_recovery_code_used', userId: string, details: { codes_left: number } }
  /** A second-factor code that did not pass, at login or step-up; never the code itself. */
  | { type: 'mfa_code_failed', userId: string, details: { kind: 'totp' | 'recovery_code' } }
  /** An administrator removed every second factor of the account (a lost phone). */
  | { type: 'mfa_reset_by_admin', userId: string, details: { reset_by: string } }
  /** `invalid_passkey`: userId null when the credential (or the challenge) named no live account. */
  | { type: 'login_failed', userId: string | null, details: { reason: 'unknown_account' | 'wrong_password' | 'inactive_account' | 'invalid_passkey' | 'email_not_verified' } }
  | { type: 'refresh_reuse_detected', userId: string, details: { session_id: string } }
  /** `session`: one session ended by id (`DELETE /users/me/sessions/{id}`). */
  | { type: 'logout', userId: string, details: { scope: LogoutScope | 'session', session_id: string } }
  /** userId null: no live, active account has the email asked for. */
  | { type: 'password_reset_requested', userId: string | null }
  | { type: 'password_reset_completed', userId: string }
  | { type: 'password_changed', userId: string }
  | { type: 'profile_updated', userId: string, details: { fields: Array<'email' | 'username'> } }
  | { type: 'account_deleted', userId: string }
  | { type: 'passkey_added', userId: string, details: { passkey_id: string } }
  | { type: 'passkey_removed', userId: string, details: { passkey_id: string } }
  /** A correctly signed assertion whose signature counter did not move forward: a cloned authenticator. */
  | { type: 'passkey_counter_regressed', userId: string, details: { passkey_id: string, stored_counter: number, presented_counter: number } }
  /** A provider identity resolved to this account (a session, or `mfa_required`, follows). */
  | { type: 'provider_sign_in', userId: string, details: { provider: string, identity_id: string } }
  /** A provider identity was refused: its email belongs to an account that must link it itself, or the account is inactive. */
  | { type: 'provider_sign_in_refused', userId: string | null, details: { provider: string, reason: 'account_exists' | 'inactive_account' } }
  /** `via`: a new account made from it, an account whose verified email matched, or its signed-in owner. */
  | { type: 'identity_linked', userId: string, details: { provider: string, identity_id: string, via: 'new_account' | 'verified_email' | 'signed_in' } }
  | { type: 'identity_unlinked', userId: string, details: { provider: string, identity_id: string } }
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
