import t from 'tap'
import { createMailer } from '../src/services/mail.js'
import { parseMail, startSmtpServer } from './helpers/smtp.js'

const message = {
  to: 'ada@example.com',
  subject: 'Grüße',
  text: `A line long enough to be wrapped by the transfer encoding: ${'x'.repeat(90)} — done.`,
  html: '<p>Hello <b>Ada</b></p>'
}

t.test('SMTP_URL set: the message goes through SMTP with both bodies and MAIL_FROM', async (t) => {
  const smtp = await startSmtpServer(t)
  const mailer = createMailer({ SMTP_URL: smtp.url, MAIL_FROM: 'Auth <no-reply@auth.test>', NODE_ENV: 'test' }, { info: () => t.fail('nothing is logged') })
  t.teardown(() => mailer.close())
  t.equal(mailer.transport, 'smtp')

  await mailer.send(message)
  const mail = await smtp.next()
  t.same(mail.to, ['ada@example.com'])
  t.equal(mail.from, 'no-reply@auth.test')
  const parsed = parseMail(mail.raw)
  t.match(parsed.headers.get('from'), /no-reply@auth\.test/)
  t.equal(parsed.parts.get('text/plain'), message.text)
  t.equal(parsed.parts.get('text/html'), message.html)
})

t.test('SMTP_URL set: an unreachable server rejects the send', async (t) => {
  const mailer = createMailer({ SMTP_URL: 'smtp://127.0.0.1:1', MAIL_FROM: 'a@b.test', NODE_ENV: 'test' }, { info: () => {} })
  t.teardown(() => mailer.close())
  await t.rejects(mailer.send(message))
})

t.test('no SMTP_URL: the message is logged, without its body in production', async (t) => {
  const logged: object[] = []
  const dev = createMailer({ MAIL_FROM: 'a@b.test', NODE_ENV: 'development' }, { info: (details) => logged.push(details) })
  t.equal(dev.transport, 'log')
  await dev.send(message)
  t.same(logged.pop(), { mail: { from: 'a@b.test', to: message.to, subject: message.subject, text: message.text } })

  await dev.send({ ...message, headers: { 'X-Auth-Mail': 'new-sign-in' } })
  t.same(logged.pop(), { mail: { from: 'a@b.test', to: message.to, subject: message.subject, kind: 'new-sign-in', text: message.text } })

  const prod = createMailer({ MAIL_FROM: 'a@b.test', NODE_ENV: 'production' }, { info: (details) => logged.push(details) })
  await prod.send(message)
  t.same(logged.pop(), { mail: { from: 'a@b.test', to: message.to, subject: message.subject } })
  dev.close()
  prod.close()
})
