import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { createBackgroundTasks } from '../src/services/background.js'
import { build, registerUser } from './helpers/app.js'
import { startSmtpServer } from './helpers/smtp.js'

t.test('a failing task is logged, never thrown at the caller', async (t) => {
  const logged: object[] = []
  const tasks = createBackgroundTasks({ error: (details) => logged.push(details) })
  const boom = new Error('boom')
  t.doesNotThrow(() => tasks.run('sync failure', () => { throw boom }))
  tasks.run('async failure', async () => { throw boom })
  await tasks.idle()
  t.same(logged, [{ err: boom, task: 'sync failure' }, { err: boom, task: 'async failure' }])
})

t.test('idle waits for tasks started by tasks', async (t) => {
  const tasks = createBackgroundTasks({ error: () => t.fail('no failure') })
  const done: string[] = []
  tasks.run('outer', async () => {
    await sleep(10)
    tasks.run('inner', async () => {
      await sleep(10)
      done.push('inner')
    })
    done.push('outer')
  })
  await tasks.idle()
  t.same(done, ['outer', 'inner'])
})

t.test('closing the app waits for a mail still being sent', async (t) => {
  const smtp = await startSmtpServer(t)
  const app = await build(t, { SMTP_URL: smtp.url })
  const user = await registerUser(app)
  await app.background.idle()
  const release = smtp.hold()
  await app.inject({ method: 'POST', url: '/api/v1/auth/forgot-password', payload: { email: user.email } })
  let closed = false
  const closing = app.close().then(() => { closed = true })
  await sleep(200)
  t.notOk(closed, 'still open while the mail is held')
  release()
  await closing
  t.same(smtp.received.map((m) => /^X-Auth-Mail: (.+)$/m.exec(m.raw)?.[1]?.trim()), ['verify-email', 'reset-password'], 'the mail went out before the app closed')
})
