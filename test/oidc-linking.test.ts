import t from 'tap'
import { bearer, build, registerUser, TEST_PASSWORD } from './helpers/app.js'
import { parseMail, startSmtpServer } from './helpers/smtp.js'
import { browseToCallback, startIdentityProvider } from './helpers/identity-provider.js'
import { authorizeUrl, exchange, idTokenSignIn, pkcePair } from './helpers/oauth-client.js'

interface IdentityBody { id: string, provider: string, subject: string, email: string | null, created_at: string }

t.test('which account a provider identity signs in to, and linking', async (t) => {
  const smtp = await startSmtpServer(t)
  const idp = await startIdentityProvider(t)
  const app = await build(t, { OIDC_PROVIDERS: 'acme', SMTP_URL: smtp.url, ...idp.env('acme') })
  const signIn = async (subject: string, claims: Record<string, unknown> = {}) =>
    await idTokenSignIn(app, 'acme', { id_token: await idp.idToken(subject, claims) })
  const identitiesOf = async (accessToken: string) =>
    (await app.inject({ url: '/api/v1/users/me/identities', headers: bearer(accessToken) })).json<IdentityBody[]>()
  /** The next mail that is `wanted` (registrations mail a verification too). */
  const nextMail = async (wanted: (mail: ReturnType<typeof parseMail>) => boolean) => {
    for (;;) {
      const mail = parseMail((await smtp.next()).raw)
      if (wanted(mail)) return mail
    }
  }
  const linkedMail = () => nextMail((mail) => mail.headers.get('x-auth-mail') === 'identity-linked')
  const events = async (type: string, userId: string) => {
    await app.background.idle()
    return await app.db.selectFrom('auth_events').select(['user_id', 'details']).where('type', '=', type).where('user_id', '=', userId).execute()
  }

  t.test('no account with the email: a new one, without a password, with a unique username', async (t) => {
    const first = await signIn('new-1', { email: 'twin1@example.com', email_verified: true, name: 'Jane Doe' })
    const second = await signIn('new-2', { email: 'twin2@example.com', email_verified: true, name: 'Jane Doe' })
    t.equal(first.statusCode, 200, first.body)
    t.equal(first.json().user.username, 'Jane_Doe')
    t.match(second.json().user.username, /^Jane_Doe_\d{6}$/, 'made unique')
    const row = await app.db.selectFrom('users').select('password_hash').where('id', '=', first.json().user.id).executeTakeFirstOrThrow()
    t.equal(row.password_hash, null)
    t.equal(first.json().user.email_verified, true, 'verified, as the provider says')
    const unverified = await signIn('new-3', { email: 'unvouched@example.com', email_verified: false })
    t.equal(unverified.json().user.email_verified, false, 'not verified, as the provider says')
    const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'Jane_Doe', password: TEST_PASSWORD } })
    t.equal(login.json().code, 'invalid_credentials', 'no password signs in')
    t.match(await events('identity_linked', first.json().user.id), [{ user_id: first.json().user.id, details: { provider: 'acme', via: 'new_account' } }])
    t.equal((await signIn('odd', { email: 'x@example.com', name: 'Ωμέγα ☃', preferred_username: 'Ça' })).json().user.username, 'user', 'nothing usable: a default base')
  })

  t.test('a local account whose email is not verified: 409 account_exists, nothing linked', async (t) => {
    const local = await registerUser(app, { email: 'taken@example.com' })
    const res = await signIn('hijacker', { email: 'TAKEN@example.com', email_verified: true })
    t.equal(res.statusCode, 409)
    t.equal(res.json().code, 'account_exists')
    t.strictSame(await identitiesOf(local.session.access_token), [])
    const unverified = await signIn('unverified', { email: 'taken@example.com', email_verified: false })
    t.equal(unverified.json().code, 'account_exists', 'nor when the provider does not vouch for the email')
    t.match(await events('provider_sign_in_refused', local.session.user.id), [{ user_id: local.session.user.id, details: { reason: 'account_exists' } }])
  })

  t.test('a local account whose email is verified: linked, signed in, told by mail', async (t) => {
    const local = await registerUser(app, { email: 'proven@example.com' })
    await app.db.updateTable('users').set({ email_verified_at: new Date() }).where('id', '=', local.session.user.id).execute()
    const res = await signIn('proven-sub', { email: 'Proven@example.com', email_verified: true })
    t.equal(res.statusCode, 200, res.body)
    t.equal(res.json().user.id, local.session.user.id, 'the existing account')
    t.match(await identitiesOf(local.session.access_token), [{ subject: 'proven-sub', email: 'proven@example.com' }])
    const mail = await linkedMail()
    t.match(mail.parts.get('text/plain'), /acme/)
    t.match(await events('identity_linked', local.session.user.id), [{ user_id: local.session.user.id, details: { via: 'verified_email' } }])
    const unvouched = await signIn('unvouched-sub', { email: 'proven@example.com', email_verified: false })
    t.equal(unvouched.json().code, 'account_exists', 'the provider must vouch for the email too')
  })

  t.test('the provider shares no email: provider_error', async (t) => {
    const res = await signIn('no-email', { email: undefined })
    t.equal(res.statusCode, 502)
    t.equal(res.json().code, 'provider_error')
  })

  t.test('a deactivated account never signs in; a deleted one frees its identity', async (t) => {
    const made = (await signIn('lifecycle', { email: 'life@example.com', email_verified: true })).json()
    await app.db.updateTable('users').set({ is_active: false }).where('id', '=', made.user.id).execute()
    const inactive = await signIn('lifecycle', { email: 'life@example.com', email_verified: true })
    t.equal(inactive.statusCode, 401)
    t.equal(inactive.json().code, 'invalid_credentials')
    await app.db.updateTable('users').set({ is_active: true, deleted_at: new Date() }).where('id', '=', made.user.id).execute()
    const fresh = await signIn('lifecycle', { email: 'life@example.com', email_verified: true })
    t.equal(fresh.statusCode, 200)
    t.not(fresh.json().user.id, made.user.id, 'a new account, not the deleted one')
  })

  t.test('signed-in linking by ID token, listing and unlinking', async (t) => {
    const owner = await registerUser(app)
    const token = owner.session.access_token
    const link = (subject: string, accessToken = token) => idp.idToken(subject, { email: 'linked@example.com' }).then((idToken) =>
      app.inject({ method: 'POST', url: '/api/v1/users/me/identities/acme/id-token', headers: bearer(accessToken), payload: { id_token: idToken } }))

    const linked = await link('owned-sub')
    t.equal(linked.statusCode, 201, linked.body)
    t.match(linked.json(), { provider: 'acme', subject: 'owned-sub', email: 'linked@example.com' })
    t.equal((await link('owned-sub')).json().id, linked.json().id, 'linking it again changes nothing')
    const mail = await linkedMail()
    t.match(mail.parts.get('text/plain'), /acme/)
    t.match(mail.parts.get('text/plain'), /linked@example\.com/, 'the address the provider asserted')

    const other = await registerUser(app)
    const taken = await link('owned-sub', other.session.access_token)
    t.equal(taken.statusCode, 409)
    t.equal(taken.json().code, 'identity_taken')

    const viaProvider = await signIn('owned-sub')
    t.equal(viaProvider.json().user.id, owner.session.user.id, 'the identity now signs in to the owner')
    t.match(await identitiesOf(token), [{ id: linked.json().id }])

    const unlinkOther = await app.inject({ method: 'DELETE', url: `/api/v1/users/me/identities/${String(linked.json().id)}`, headers: bearer(other.session.access_token) })
    t.equal(unlinkOther.statusCode, 404, 'another user\'s identity is not found')
    const unlink = await app.inject({ method: 'DELETE', url: `/api/v1/users/me/identities/${String(linked.json().id)}`, headers: bearer(token) })
    t.equal(unlink.statusCode, 204, 'the owner still has a password')
    t.strictSame(await identitiesOf(token), [])
    t.match(await events('identity_unlinked', owner.session.user.id), [{ user_id: owner.session.user.id, details: { provider: 'acme' } }])
  })

  t.test('the last way to sign in cannot be removed; a password set by forgot-password can be', async (t) => {
    const made = (await signIn('only-way', { email: 'only@example.com', email_verified: true })).json()
    const [identity] = await identitiesOf(made.access_token)
    const remove = (accessToken: string) => app.inject({ method: 'DELETE', url: `/api/v1/users/me/identities/${identity?.id ?? ''}`, headers: bearer(accessToken) })
    const refused = await remove(made.access_token)
    t.equal(refused.statusCode, 409)
    t.equal(refused.json().code, 'last_credential')

    t.equal((await app.inject({ method: 'POST', url: '/api/v1/auth/forgot-password', payload: { email: 'only@example.com' } })).statusCode, 202)
    const mail = await nextMail((mail) => /reset-password\?token=/.test(mail.parts.get('text/plain') ?? ''))
    const resetToken = /reset-password\?token=([A-Za-z0-9_-]+)/.exec(mail.parts.get('text/plain') ?? '')?.[1] ?? ''
    const reset = await app.inject({ method: 'POST', url: '/api/v1/auth/reset-password', payload: { token: resetToken, new_password: 'a password of my own now' } })
    t.equal(reset.statusCode, 204, 'an account without a password sets one through forgot-password')
    const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'only@example.com', password: 'a password of my own now' } })
    t.equal(login.statusCode, 200)
    t.equal((await remove(login.json().access_token)).statusCode, 204, 'now the identity can go')
  })

  t.test('linking through the redirect flow with a link token', async (t) => {
    const owner = await registerUser(app)
    const tokenRes = await app.inject({ method: 'POST', url: '/api/v1/users/me/identities/link-token', headers: bearer(owner.session.access_token) })
    t.equal(tokenRes.statusCode, 200)
    const linkToken = tokenRes.json<{ link_token: string }>().link_token
    idp.loginAs('redirect-linked', { email: 'elsewhere@example.com', email_verified: false })
    const { verifier, challenge } = pkcePair()
    const start = await app.inject({ url: authorizeUrl('acme', challenge, { link_token: linkToken }) })
    t.equal(start.statusCode, 302)
    const back = await app.inject({ url: await browseToCallback(String(start.headers.location)) })
    const code = new URL(String(back.headers.location)).searchParams.get('code') ?? ''
    const session = await exchange(app, code, verifier)
    t.equal(session.json().user.id, owner.session.user.id)
    t.match(await identitiesOf(owner.session.access_token), [{ subject: 'redirect-linked', email: 'elsewhere@example.com' }])
    const reused = await app.inject({ url: authorizeUrl('acme', challenge, { link_token: linkToken }) })
    t.equal(reused.statusCode, 401, 'a link token works once')
    t.equal(reused.json().code, 'invalid_token')
    await linkedMail()
  })

  t.test('an authorize URL made with someone else\'s link token links nothing for the victim', async (t) => {
    const attacker = await registerUser(app)
    const linkToken = (await app.inject({ method: 'POST', url: '/api/v1/users/me/identities/link-token', headers: bearer(attacker.session.access_token) })).json().link_token
    const attackerPkce = pkcePair()
    const lure = await app.inject({ url: authorizeUrl('acme', attackerPkce.challenge, { link_token: linkToken }) })
    idp.loginAs('victim-sub', { email: 'victim@example.com', email_verified: true })
    const back = await app.inject({ url: await browseToCallback(String(lure.headers.location)) })
    const code = new URL(String(back.headers.location)).searchParams.get('code') ?? ''
    t.equal((await exchange(app, code, pkcePair().verifier)).statusCode, 400, 'the victim\'s app has no matching verifier')
    t.strictSame(await identitiesOf(attacker.session.access_token), [], 'nothing was linked to the attacker')
    const victim = await signIn('victim-sub')
    t.not(victim.json().user.id, attacker.session.user.id, 'the victim\'s identity signs in to an account of its own')
  })

  t.test('the redirect flow meets the same policy at the exchange', async (t) => {
    await registerUser(app, { email: 'redirect-taken@example.com' })
    idp.loginAs('redirect-hijacker', { email: 'redirect-taken@example.com', email_verified: true })
    const { verifier, challenge } = pkcePair()
    const start = await app.inject({ url: authorizeUrl('acme', challenge) })
    const back = await app.inject({ url: await browseToCallback(String(start.headers.location)) })
    const res = await exchange(app, new URL(String(back.headers.location)).searchParams.get('code') ?? '', verifier)
    t.equal(res.statusCode, 409)
    t.equal(res.json().code, 'account_exists')
  })
})
