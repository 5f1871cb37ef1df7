/**
 * Cookie mode across tabs: tabs share one refresh cookie, so they must not rotate it at once.
 * One tab takes the Web Lock and refreshes; the others, finding the lock taken, wait for the new
 * access token it broadcasts. A sign-out is broadcast too. Without the Web Locks API or
 * BroadcastChannel (old browsers, some runtimes) each tab refreshes on its own.
 */

export interface SharedToken { accessToken: string, expiresAt: number, user: unknown }

type Message = { type: 'token', token: SharedToken } | { type: 'signed-out' } | { type: 'refresh-failed' }

export interface Tabs {
  /** Runs `refresh` in this tab if no other tab is refreshing, else waits for that tab's token. */
  refreshOnce: (refresh: () => Promise<SharedToken>) => Promise<SharedToken | null>
  announce: (token: SharedToken) => void
  announceSignOut: () => void
  close: () => void
}

const WAIT_FOR_LEADER_MS = 10_000

/** A client alone: it refreshes for itself and has nobody to tell. */
export const soloTab: Tabs = {
  refreshOnce: async (refresh) => await refresh(),
  announce: () => {},
  announceSignOut: () => {},
  close: () => {}
}

export function createTabs (name: string, handlers: { onToken: (token: SharedToken) => void, onSignOut: () => void }): Tabs {
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined
  const channel = typeof BroadcastChannel !== 'undefined' ? new BroadcastChannel(name) : undefined
  const waiting = new Set<(token: SharedToken | null) => void>()
  if (channel !== undefined) {
    channel.onmessage = (event: { data: Message }) => {
      const message = event.data
      if (message.type === 'token') {
        handlers.onToken(message.token)
        for (const resolve of waiting) resolve(message.token)
      } else {
        if (message.type === 'signed-out') handlers.onSignOut()
        for (const resolve of waiting) resolve(null)
      }
      waiting.clear()
    }
  }
  const announce = (token: SharedToken) => channel?.postMessage({ type: 'token', token } satisfies Message)

  return {
    async refreshOnce (refresh) {
      if (locks === undefined || channel === undefined) return await refresh()
      // Listening before asking for the lock: the leader's answer cannot slip by unheard.
      let settle: (token: SharedToken | null) => void = () => {}
      const leadersToken = new Promise<SharedToken | null>((resolve) => { settle = resolve; waiting.add(resolve) })
      const led = await locks.request(`${name}:refresh`, { ifAvailable: true }, async (lock) => {
        if (lock === null) return undefined
        try {
          const token = await refresh()
          announce(token)
          return token
        } catch (err) {
          // The waiting tabs try for themselves rather than wait out their patience.
          channel.postMessage({ type: 'refresh-failed' } satisfies Message)
          throw err
        }
      })
      if (led !== undefined) { waiting.delete(settle); return led }
      const timer = setTimeout(() => settle(null), WAIT_FOR_LEADER_MS)
      const token = await leadersToken
      clearTimeout(timer)
      // The leader failed or went away: take the lock in turn rather than fail the request.
      return token ?? await locks.request(`${name}:refresh`, async () => {
        const own = await refresh()
        announce(own)
        return own
      })
    },
    announce,
    announceSignOut: () => channel?.postMessage({ type: 'signed-out' } satisfies Message),
    close: () => channel?.close()
  }
}
