/* global location, document */
// The SPA side of the cookie mode: the refresh token never reaches this script (HttpOnly cookie);
// the access token lives in memory, and every tab of the app shares one refresh.
import { createAuthClient } from '@auth-service/client'

const api = new URLSearchParams(location.search).get('api') ?? 'http://localhost:3000'
const auth = createAuthClient({ baseUrl: api, transport: 'cookie' })
const $ = (id) => document.getElementById(id)
let mfaToken = null

function show (user, message) {
  $('status').textContent = message ?? (user === null ? 'signed out' : `signed in as ${user.username}`)
  $('signed-out').hidden = user !== null
  $('signed-in').hidden = user === null
  $('mfa').hidden = mfaToken === null
  if (user === null) $('me').textContent = ''
}

async function run (action) {
  try {
    await action()
  } catch (err) {
    $('status').textContent = `error: ${err.code ?? err.message}`
  }
}

async function signedIn (result) {
  if (result.status === 'mfa_required') {
    mfaToken = result.mfaToken
    show(null, 'enter your code')
    return
  }
  mfaToken = null
  show(result.status === 'signed_in' ? result.user : null, result.status === 'verification_pending' ? 'check your mail' : undefined)
}

auth.onChange((user) => { if (mfaToken === null) show(user) })

$('sign-up').onclick = () => run(async () => signedIn(await auth.signUp({ email: $('email').value, username: $('login').value, password: $('password').value })))
$('sign-in').onclick = () => run(async () => signedIn(await auth.signIn({ login: $('login').value, password: $('password').value })))
$('verify').onclick = () => run(async () => signedIn(await auth.verifyMfa(mfaToken, { code: $('code').value })))
$('sign-out').onclick = () => run(async () => { await auth.signOut(); show(null) })
$('who').onclick = () => run(async () => {
  const { data, error } = await auth.api.GET('/api/v1/users/me')
  $('me').textContent = JSON.stringify(data ?? error, null, 2)
})

// A reload keeps the session: the refresh cookie brings a new access token.
run(async () => show(await auth.restore()))
