import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { MAIL_KINDS, type MailKind, type MailVariables } from '../src/mail/kinds.js'
import { loadMailTemplates } from '../src/mail/templates.js'
import { humanDuration, productName } from '../src/services/notifier.js'
import { build } from './helpers/app.js'
import { inboxOf } from './helpers/mail.js'
import { startSmtpServer } from './helpers/smtp.js'

const APP_URL = 'https://app.example/'
const MAIL_FROM = 'Example Accounts <accounts@app.example>'
const TOKEN = 'tok_' + 'A'.repeat(39)
const origin = { ip: '203.0.113.7', userAgent: 'Mozilla/5.0 <script>alert(1)</script>\u0000\nEvil' }

const variables: { [K in MailKind]: MailVariables[K] } = {
  'verify-email': { token: TOKEN, code: '012345', ttlSeconds: 86400 },
  'reset-password': { token: TOKEN, code: '987654', ttlSeconds: 1800 },
  'email-change-requested': { newEmail: 'new@example.com', origin },
  'password-changed': { origin },
  'new-sign-in': { origin },
  'mfa-changed': { action: 'added', factor: 'Passkey “<b>Work</b>”', origin },
  'identity-linked': { provider: 'Example ID', providerEmail: null, origin }
}

function tempDir (t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'mail-templates-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

t.test('every kind goes out through SMTP with its X-Auth-Mail header, a text and an HTML part', async (t) => {
  const smtp = await startSmtpServer(t)
  const app = await build(t, { SMTP_URL: smtp.url, APP_URL, MAIL_FROM })
  const inbox = inboxOf(smtp)
  const to = { email: 'ada@example.com', username: 'ada' }
  for (const kind of MAIL_KINDS) app.notifier.send(kind, to, variables[kind] as never)

  for (const kind of MAIL_KINDS) {
    const mail = await inbox.take(kind)
    t.same(mail.to, ['ada@example.com'], kind)
    t.equal(mail.headers.get('auto-submitted'), 'auto-generated')
    t.match(mail.headers.get('from'), /Example Accounts/)
    t.ok(mail.text.includes('Hi ada,'), `${kind}: the text greets the user`)
    t.match(mail.html, /^<!DOCTYPE html>/, `${kind}: the HTML is a whole document`)
    t.notOk(mail.subject.includes(TOKEN) || /\d{6}/.test(mail.subject), `${kind}: no secret in the subject`)
    t.ok(mail.html.includes('Example Accounts'), `${kind}: the product name comes from MAIL_FROM`)
    if (kind === 'verify-email' || kind === 'reset-password') {
      const code = variables[kind].code
      t.equal(mail.token, TOKEN, `${kind}: the link carries the token`)
      t.equal(mail.code, code, `${kind}: the text carries the code`)
      t.ok(mail.text.includes(`https://app.example/${kind}?token=${TOKEN}`), `${kind}: APP_URL/${kind}?token=…`)
      t.ok(mail.html.includes(`href="https://app.example/${kind}?token=${TOKEN}"`), `${kind}: the HTML links too`)
      t.ok(mail.html.includes(`>${code}</span>`), `${kind}: the HTML shows the code`)
    } else {
      t.equal(mail.token, undefined, `${kind}: a notice has no token`)
      t.ok(mail.text.includes('203.0.113.7'), `${kind}: the notice says where from`)
      t.notOk(mail.html.includes('<script>'), `${kind}: values are escaped in HTML`)
      t.ok(mail.html.includes('&#60;script&#62;'), `${kind}: and still shown`)
      t.notOk(mail.text.includes('\u0000'), `${kind}: control characters of the user agent are dropped`)
    }
  }
})

t.test('a notice switched off with NOTIFY_<KIND>=false is not sent; action mails cannot be switched off', async (t) => {
  const smtp = await startSmtpServer(t)
  const app = await build(t, { SMTP_URL: smtp.url, NOTIFY_NEW_SIGN_IN: 'false', NOTIFY_PASSWORD_CHANGED: 'false' })
  const to = { email: 'bob@example.com', username: 'bob' }
  app.notifier.send('new-sign-in', to, variables['new-sign-in'])
  app.notifier.send('password-changed', to, variables['password-changed'])
  app.notifier.send('mfa-changed', to, variables['mfa-changed'])
  app.notifier.send('verify-email', to, variables['verify-email'])
  const rest = await inboxOf(smtp).rest(() => app.background.idle())
  t.same(rest.map((m) => m.kind).sort(), ['mfa-changed', 'verify-email'])
  t.equal(app.notifier.enabled('new-sign-in'), false)
  t.equal(app.notifier.enabled('reset-password'), true)
})

t.test('MAIL_TEMPLATES_DIR replaces any part of any kind; the rest stays the default', async (t) => {
  const dir = tempDir(t)
  writeFileSync(join(dir, 'verify-email.subject.txt'), 'Welcome to {{ app_name }}, {{username}}!\n')
  writeFileSync(join(dir, 'verify-email.html'), '<p>Code <b>{{code}}</b> for {{email}}: <a href="{{link}}">go</a></p>')
  writeFileSync(join(dir, 'new-sign-in.txt'), 'Signed in from {{ip}} on {{device}} at {{time}}.')
  writeFileSync(join(dir, 'README.md'), 'not a template')
  const smtp = await startSmtpServer(t)
  const app = await build(t, { SMTP_URL: smtp.url, APP_URL, MAIL_FROM, MAIL_TEMPLATES_DIR: dir })
  const inbox = inboxOf(smtp)
  const to = { email: 'cy@example.com', username: 'cy' }
  app.notifier.send('verify-email', to, variables['verify-email'])
  app.notifier.send('new-sign-in', to, variables['new-sign-in'])

  const verify = await inbox.take('verify-email')
  t.equal(verify.subject, 'Welcome to Example Accounts, cy!', 'the subject file, trimmed to one line')
  t.equal(verify.html, `<p>Code <b>012345</b> for cy@example.com: <a href="https://app.example/verify-email?token=${TOKEN}">go</a></p>`)
  t.ok(verify.text.includes('    012345'), 'the text part stays the default')
  const signIn = await inbox.take('new-sign-in')
  t.match(signIn.text, /^Signed in from 203\.0\.113\.7 on Mozilla\/5\.0 <script>alert\(1\)<\/script> Evil at \w{3}, \d\d \w{3} \d{4} /)
  t.equal(signIn.subject, 'New sign-in to your account')
})

t.test('a template naming an unknown placeholder stops the start-up with the file and the known names', async (t) => {
  const dir = tempDir(t)
  writeFileSync(join(dir, 'password-changed.html'), '<p>{{link}}</p>')
  const warnings: string[] = []
  t.throws(() => loadMailTemplates(dir, { warn: (m) => warnings.push(m) }), {
    message: new RegExp(`^${join(dir, 'password-changed.html').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: unknown placeholder \\{\\{link\\}\\}; password-changed mails know \\{\\{app_name\\}\\}`)
  })
  writeFileSync(join(dir, 'password-changed.html'), '<p>{{ip}}</p>')
  writeFileSync(join(dir, 'verify-mail.txt'), 'misspelt kind')
  const templates = loadMailTemplates(dir, { warn: (m) => warnings.push(m) })
  t.equal(templates['password-changed'].html, '<p>{{ip}}</p>')
  t.same(warnings, ['MAIL_TEMPLATES_DIR: verify-mail.txt names no mail kind and part (<kind>.subject.txt, <kind>.txt, <kind>.html); ignored'])
  t.throws(() => loadMailTemplates(join(dir, 'missing'), { warn: () => {} }), { code: 'ENOENT' })
})

t.test('durations and the product name read like a person wrote them', async (t) => {
  t.same([1800, 60, 30, 3600, 86400, 172800, 90000].map(humanDuration),
    ['30 minutes', '1 minute', '1 minute', '1 hour', '24 hours', '2 days', '25 hours'])
  t.equal(productName('Example Accounts <a@b.example>', 'https://x.example'), 'Example Accounts')
  t.equal(productName('"Quoted, Inc." <a@b.example>', 'https://x.example'), 'Quoted, Inc.')
  t.equal(productName('a@b.example', 'https://x.example:8443/app'), 'x.example:8443')
  t.equal(productName('a@b.example', 'not a url'), 'not a url')
})
