import t, { type Test } from 'tap'
import { spawnSync } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { lockDataDir } from '../src/db/data-dir-lock.js'

async function tempDir (t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lock-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

t.test('one holder at a time; released, it can be taken again', async (t) => {
  const dir = await tempDir(t)
  const release = await lockDataDir(dir)
  t.equal(await readFile(join(dir, 'auth-service.lock'), 'utf8'), String(process.pid))
  await t.rejects(lockDataDir(dir), new RegExp(`in use by process ${process.pid}`))
  await release()
  const again = await lockDataDir(dir)
  await again()
})

t.test('a lock left by a process that is gone is taken over', async (t) => {
  const dir = await tempDir(t)
  const gone = spawnSync(process.execPath, ['-e', '']).pid
  t.ok(gone, 'a finished process gives a dead pid')
  await writeFile(join(dir, 'auth-service.lock'), String(gone))
  const release = await lockDataDir(dir)
  t.equal(await readFile(join(dir, 'auth-service.lock'), 'utf8'), String(process.pid))
  await release()
})
