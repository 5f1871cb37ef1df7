/**
 * An exclusive lock on the embedded database's directory. PGlite takes none, and two processes
 * (the server and `create-admin`, say) writing one directory would corrupt it.
 */
import { open, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'

function isRunning (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Takes the lock, or throws naming the process that holds it; a lock left by a dead process is taken over. */
export async function lockDataDir (dir: string): Promise<() => Promise<void>> {
  const file = join(dir, 'auth-service.lock')
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, 'wx')
      await handle.writeFile(String(process.pid))
      await handle.close()
      return async () => { await rm(file, { force: true }) }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const holder = Number((await readFile(file, 'utf8').catch(() => '')).trim())
      if (Number.isInteger(holder) && holder > 0 && isRunning(holder)) {
        throw new Error(`The embedded database in ${dir} is in use by process ${holder}: stop it first, or set DATABASE_URL.`)
      }
      await rm(file, { force: true })
    }
  }
  throw new Error(`Could not lock the embedded database in ${dir}.`)
}
