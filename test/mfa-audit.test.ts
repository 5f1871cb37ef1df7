import t from 'tap'
import { bearer, build, registerUser, TEST_PASSWORD } from './helpers/app.js'
import { enableTotp, loginForMfaToken, testClock, totpCode, verifyMfa } from './helpers/mfa.js'

t.test('every MFA event is in the audit trail, and no secret is', async (t) => {
  const clock = testClock()
  const app = await build(t, {}, { clock })
  const user = await registerUser(app)
  const token = user.session.access_token
  const { secret, recoveryCodes } = await enableTotp(app, clock, user.session)
  const next = (steps: number) => totpCode(secret, clock.now() + steps * 30_000)

  const first = await loginForMfaToken(app, user.username)
  t.equal((await verifyMfa(app, { mfa_token: first.mfa_token, code: next(1) === '000000' ? '000001' : '000000' })).statusCode, 401)
  t.equal((await verifyMfa(app, { mfa_token: first.mfa_token, recovery_code: recoveryCodes[0] })).statusCode, 200)
  const regenerated = await app.inject({
    method: 'POST', url: '/api/v1/users/me/mfa/recovery-codes', headers: bearer(token), payload: { password: TEST_PASSWORD, mfa_code: next(1) }
  })
  t.equal(regenerated.statusCode, 200)
  clock.advance(30)
  const off = await app.inject({
    method: 'DELETE', url: '/api/v1/users/me/mfa/totp', headers: bearer(token), payload: { password: TEST_PASSWORD, mfa_code: next(1) }
  })
  t.equal(off.statusCode, 204)

  await app.background.idle()
  const events = await app.db.selectFrom('auth_events').select(['type', 'details'])
    .where('user_id', '=', user.session.user.id).where('type', 'like', 'mfa%').orderBy('created_at').orderBy('id').execute()
  t.strictSame(events.map((e) => [e.type, e.details]), [
    ['mfa_totp_enrollment_started', {}],
    ['mfa_totp_enabled', {}],
    ['mfa_required', { methods: ['totp', 'recovery_code'], amr: ['pwd'] }],
    ['mfa_code_failed', { kind: 'totp' }],
    ['mfa_recovery_code_used', { codes_left: 9 }],
    ['mfa_recovery_codes_regenerated', {}],
    ['mfa_totp_disabled', {}]
  ])
  const login = await app.db.selectFrom('auth_events').select('details').where('user_id', '=', user.session.user.id)
    .where('type', '=', 'login_succeeded').orderBy('created_at', 'desc').executeTakeFirstOrThrow()
  t.match(login.details, { amr: ['pwd', 'otp', 'mfa'] }, 'the login records how it was made')

  const stored = JSON.stringify(await app.db.selectFrom('auth_events').selectAll().execute())
  const secrets = [secret, first.mfa_token, ...recoveryCodes, ...regenerated.json<{ recovery_codes: string[] }>().recovery_codes]
  for (const value of secrets) t.notOk(stored.includes(value), 'no secret, code or token in the audit trail')
})
