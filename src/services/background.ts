/** Work that must not hold up the answer (mail, audit rows): run later, errors logged, drained when the app closes. */

export interface TaskLogger {
  error: (details: object, message: string) => void
}

export interface BackgroundTasks {
  /** Starts the task on a later tick; its failure is logged, never thrown at the caller. */
  run: (name: string, task: () => Promise<unknown>) => void
  /** Resolves once every task started so far, and any they started, has settled. */
  idle: () => Promise<void>
}

export function createBackgroundTasks (log: TaskLogger): BackgroundTasks {
  const pending = new Set<Promise<void>>()
  return {
    run (name, task) {
      const running: Promise<void> = Promise.resolve()
        .then(task)
        .then(() => {}, (err: unknown) => log.error({ err, task: name }, 'background task failed'))
        .finally(() => pending.delete(running))
      pending.add(running)
    },
    async idle () {
      while (pending.size > 0) await Promise.all(pending)
    }
  }
}
