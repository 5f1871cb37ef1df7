/** The `new-sign-in` notice: a session from a user agent the account has not used in 90 days, never its first. */
import type { Kysely } from 'kysely'
import { signInHistory } from '../db/sessions-repository.js'
import type { Database } from '../db/types.js'
import type { BackgroundTasks } from './background.js'
import type { Notifier } from './notifier.js'
import type { SessionOrigin } from './sessions.js'
import type { PublicUser } from './users.js'

/** API.md: a user agent not seen for the account in this long is a new device. */
export const NEW_DEVICE_AFTER_DAYS = 90

// Sessions keep the first 512 characters of a user agent; compare the same.
const storedAgent = (userAgent: string | null) => userAgent?.slice(0, 512) ?? null

export function createSignInNotices ({ db, notifier, background, now }: { db: Kysely<Database>, notifier: Notifier, background: BackgroundTasks, now: () => Date }) {
  return {
    /** Looks at the account's other sessions off the caller's path; the new session is already stored. */
    sessionStarted (user: PublicUser, sessionId: string, origin: SessionOrigin): void {
      if (!notifier.enabled('new-sign-in')) return
      const since = new Date(now().getTime() - NEW_DEVICE_AFTER_DAYS * 86400_000)
      background.run('new sign-in check', async () => {
        const history = await signInHistory(db, user.id, sessionId, storedAgent(origin.userAgent), since)
        if (history.others && !history.agentSeen) notifier.send('new-sign-in', user, { origin })
      })
    }
  }
}
