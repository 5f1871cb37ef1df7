import t from 'tap'
import { loadCommonPasswords } from '../src/services/common-passwords.js'
import { passwordProblem, PASSWORD_MAX_LENGTH, type PasswordPolicy } from '../src/services/password-policy.js'
import { build, registerUser } from './helpers/app.js'

const common = await loadCommonPasswords()
const policy: PasswordPolicy = { minLength: 8, common }

t.test('the shipped list is a real common-password list', async (t) => {
  t.ok(common.size > 10_000, `${common.size} passwords`)
  for (const p of ['password', 'password1', 'iloveyou', 'qwertyuiop', 'letmein123', 'p@ssw0rd']) t.ok(common.has(p), p)
})

t.test('policy: length is counted in characters after NFKC normalization', async (t) => {
  t.match(passwordProblem('short', policy), /at least 8/)
  // Four ligatures normalize to nine letters.
  t.equal([...'ﬁﬂﬀﬃ'].length, 4)
  t.equal(passwordProblem('ﬁﬂﬀﬃ', policy), null)
  // Astral characters count once each, not as UTF-16 halves.
  t.match(passwordProblem('🍎🚲🎻🌵🐙🧲🪁', policy), /at least 8/)
  t.equal(passwordProblem('🍎🚲🎻🌵🐙🧲🪁🦉', policy), null)
  t.equal(passwordProblem('x'.repeat(PASSWORD_MAX_LENGTH - 3) + 'abz', policy), null)
  t.match(passwordProblem('x'.repeat(PASSWORD_MAX_LENGTH) + 'a', policy), /at most 128/)
  t.match(passwordProblem('longer one', { ...policy, minLength: 12 }), /at least 12/)
})

t.test('policy: common and breached passwords are refused whatever their case or width', async (t) => {
  t.match(passwordProblem('password1', policy), /most common or breached/)
  t.match(passwordProblem('PassWord1', policy), /most common or breached/)
  // Fullwidth letters are NFKC-equal to ASCII ones.
  t.match(passwordProblem('ｐａｓｓｗｏｒｄ１', policy), /most common or breached/)
  t.equal(passwordProblem('password1', { ...policy, common: new Set() }), null)
})

t.test('policy: not the email or the username, and no rule beyond API.md', async (t) => {
  const context = { email: 'Ada.Lovelace@Example.com', username: 'Ada_Lovelace' }
  t.match(passwordProblem('ada.lovelace@example.com', policy, context), /email or the username/)
  t.match(passwordProblem('ADA_LOVELACE', policy, context), /email or the username/)
  t.equal(passwordProblem('ada_lovelace!', policy, context), null)
  // No composition rules: only the list, the length and the account's own names refuse a password.
  t.equal(passwordProblem('abcdefgh', policy), null)
  t.equal(passwordProblem('b'.repeat(128), policy), null)
})

t.test('register applies the whole policy', async (t) => {
  const app = await build(t)
  const attempt = (fields: { password: string, username?: string }) => app.inject({
    method: 'POST',
    url: '/api/v1/auth/register',
    payload: { email: `p${Math.random().toString(36).slice(2)}@example.com`, username: fields.username ?? `p${Math.random().toString(36).slice(2, 10)}`, password: fields.password }
  })

  const common = await attempt({ password: 'Sunshine1' })
  t.equal(common.statusCode, 400)
  t.match(common.json(), { code: 'weak_password', errors: [{ path: '/password', message: /most common or breached/ }] })

  const named = await attempt({ password: 'TheRealAda', username: 'therealada' })
  t.equal(named.statusCode, 400)
  t.match(named.json(), { code: 'weak_password', detail: /email or the username/ })

  const tooLong = await attempt({ password: 'ab'.repeat(65) })
  t.equal(tooLong.statusCode, 400)
  t.match(tooLong.json(), { code: 'weak_password', detail: /at most 128/ })

  const ligatures = await registerUser(app, { password: 'ﬁﬂﬀﬃ' })
  const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: ligatures.username, password: 'fiflffffi' } })
  t.equal(login.statusCode, 200, 'the NFKC form of the password logs in')
})
