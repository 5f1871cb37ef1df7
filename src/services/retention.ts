/**
 * The retention job: refresh tokens, sessions and reset tokens are deleted some days after they
 * ended, audit events after AUDIT_RETENTION_DAYS. Without it the token tables grow by one row per
 * refresh forever. Every instance schedules it; the database lock lets one run at a time.
 */
import type { Kysely } from 'kysely'
import { withRetentionLock, type RetentionRows } from '../db/retention-repository.js'
import type { Database } from '../db/types.js'

const DAY_MS = 86_400_000

export interface RetentionSettings {
  /** Days an ended token or session is kept (for the audit of an incident) before it is deleted. */
  endedRowsDays: number
  auditDays: number
  /** Rows per delete statement: small, so no statement holds locks or the WAL for long. */
  batchSize: number
}

export interface RetentionReport {
  refresh_tokens: number
  sessions: number
  reset_tokens: number
  audit_events: number
}

async function purge (deleteBatch: (limit: number) => Promise<number>, batchSize: number): Promise<number> {
  let total = 0
  for (;;) {
    const deleted = await deleteBatch(batchSize)
    total += deleted
    if (deleted < batchSize) return total
  }
}

export function createRetentionJob (db: Kysely<Database>, settings: RetentionSettings, now: () => number = Date.now) {
  return {
    /** One pass; undefined when another instance is running it. */
    async run (): Promise<RetentionReport | undefined> {
      return await withRetentionLock(db, async (rows: RetentionRows) => {
        const t = now()
        const ended = new Date(t - settings.endedRowsDays * DAY_MS)
        const audit = new Date(t - settings.auditDays * DAY_MS)
        const { batchSize } = settings
        return {
          refresh_tokens: await purge((limit) => rows.deleteExpiredRefreshTokens(ended, limit), batchSize),
          sessions: await purge((limit) => rows.deleteEndedSessions(ended, limit), batchSize),
          reset_tokens: await purge((limit) => rows.deleteEndedResetTokens(ended, limit), batchSize),
          audit_events: await purge((limit) => rows.deleteAuditEvents(audit, limit), batchSize)
        }
      })
    }
  }
}

export type RetentionJob = ReturnType<typeof createRetentionJob>
