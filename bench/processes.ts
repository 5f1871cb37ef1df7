/** Every child process the bench starts, so none outlives the bench whatever happens. */
import type { ChildProcess } from 'node:child_process'

const live = new Set<ChildProcess>()
const exitTasks: Array<() => void> = []

export function track (child: ChildProcess): ChildProcess {
  live.add(child)
  child.once('exit', () => live.delete(child))
  return child
}

export function isAlive (child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null
}

function killAll (signal: NodeJS.Signals): void {
  for (const child of live) {
    if (isAlive(child)) child.kill(signal)
  }
}

/** Synchronous work for the last-resort cleanup, run after the children are killed. */
export function atExit (task: () => void): void {
  exitTasks.push(task)
}

/** Last-resort cleanup: normal paths stop their children and clean up themselves. */
export function installCleanup (): void {
  process.once('exit', () => {
    killAll('SIGKILL')
    for (const task of exitTasks) {
      try {
        task()
      } catch (err) {
        console.error('bench: cleanup failed:', err)
      }
    }
  })
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\nbench: received ${signal}, stopping child processes`)
      killAll('SIGKILL')
      process.exit(130)
    })
  }
}
