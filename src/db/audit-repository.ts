/** SQL of `auth_events`, the audit trail. */
import type { EventDetails, Executor } from './types.js'

export interface NewAuthEvent {
  userId: string | null
  type: string
  createdAt: Date
  ip: string | null
  userAgent: string | null
  details: EventDetails
}

export async function insertAuthEvent (db: Executor, event: NewAuthEvent): Promise<void> {
  await db.insertInto('auth_events').values({
    user_id: event.userId,
    type: event.type,
    created_at: event.createdAt,
    ip: event.ip,
    user_agent: event.userAgent,
    details: JSON.stringify(event.details)
  }).execute()
}
