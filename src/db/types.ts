/** The Kysely view of the schema built by `migrations/`. */
import type { ColumnType, Generated, Insertable, Kysely, Selectable, Transaction, Updateable } from 'kysely'

type NullableTimestamp = ColumnType<Date | null, Date | null | undefined, Date | null>

export interface UsersTable {
  id: Generated<string>
  email: string
  username: string
  password_hash: string
  is_active: Generated<boolean>
  created_at: Generated<Date>
  updated_at: Generated<Date>
  deleted_at: NullableTimestamp
  email_verified_at: NullableTimestamp
  /** Derived from `email_verified_at` by the database; never written. */
  email_verified: ColumnType<boolean, never, never>
  /** An address the owner asked to change to and has not proven yet. */
  pending_email: ColumnType<string | null, string | null | undefined, string | null>
}

export interface SessionsTable {
  id: Generated<string>
  user_id: string
  created_at: Generated<Date>
  last_used_at: Generated<Date>
  expires_at: Date
  revoked_at: NullableTimestamp
  user_agent: string | null
  ip: string | null
}

export interface RefreshTokensTable {
  token_hash: string
  session_id: string
  parent_hash: string | null
  issued_at: Generated<Date>
  expires_at: Date
  rotated_at: NullableTimestamp
  revoked_at: NullableTimestamp
}

export interface RolesTable {
  name: string
  description: Generated<string>
  permissions: string[]
  built_in: Generated<boolean>
  created_at: Generated<Date>
}

export interface UserRolesTable {
  user_id: string
  role_name: string
  created_at: Generated<Date>
}

export interface PasswordResetTokensTable {
  token_hash: string
  user_id: string
  created_at: Generated<Date>
  expires_at: Date
  used_at: NullableTimestamp
  /** Null for links mailed before reset mails carried a code. */
  code_hash: string | null
  attempts: Generated<number>
}

export interface EmailVerificationsTable {
  token_hash: string
  user_id: string
  /** The address the mail went to: the code is accepted with it only. */
  email: string
  code_hash: string
  attempts: Generated<number>
  created_at: Generated<Date>
  expires_at: Date
  used_at: NullableTimestamp
}

/** JSON written as text and read back parsed; never holds a secret. */
export type EventDetails = Record<string, string | number | boolean | string[] | null>

export interface AuthEventsTable {
  id: Generated<string>
  user_id: string | null
  type: string
  created_at: Generated<Date>
  ip: string | null
  user_agent: string | null
  details: ColumnType<EventDetails, string | undefined, never>
}

export interface Database {
  users: UsersTable
  sessions: SessionsTable
  refresh_tokens: RefreshTokensTable
  roles: RolesTable
  user_roles: UserRolesTable
  password_reset_tokens: PasswordResetTokensTable
  email_verifications: EmailVerificationsTable
  auth_events: AuthEventsTable
}

export type UserRow = Selectable<UsersTable>
export type NewUser = Insertable<UsersTable>
export type UserUpdate = Updateable<UsersTable>
export type SessionRow = Selectable<SessionsTable>
export type RoleRow = Selectable<RolesTable>
export type PasswordResetTokenRow = Selectable<PasswordResetTokensTable>
export type EmailVerificationRow = Selectable<EmailVerificationsTable>
export type AuthEventRow = Selectable<AuthEventsTable>
export type RefreshTokenRow = Selectable<RefreshTokensTable>
export type UserRoleRow = Selectable<UserRolesTable>

/** What every repository function runs on: the database, or a transaction the caller opened. */
export type Executor = Kysely<Database> | Transaction<Database>
