import t from 'tap'
import { loadConfig } from '../src/config.js'
import { usernameBase } from '../src/services/oidc/identity-linking.js'
import { acceptedIssuers } from '../src/services/oidc/provider-registry.js'

t.test('providers come from OIDC_PROVIDERS and OIDC_<NAME>_*, validated like every setting', async (t) => {
  const config = loadConfig({
    OIDC_PROVIDERS: 'google, acme',
    OIDC_GOOGLE_ISSUER: 'https://accounts.google.com',
    OIDC_GOOGLE_CLIENT_ID: 'web-client',
    OIDC_GOOGLE_CLIENT_IDS: 'ios-client,android-client',
    OIDC_ACME_ISSUER: 'https://login.acme.example',
    OIDC_ACME_CLIENT_ID: 'acme-client',
    OIDC_ACME_CLIENT_SECRET: 'secret',
    OIDC_ACME_SCOPES: 'openid email'
  })
  t.strictSame(config.oidc_providers, [
    { name: 'google', ISSUER: 'https://accounts.google.com', CLIENT_ID: 'web-client', CLIENT_IDS: 'ios-client,android-client', SCOPES: 'openid email profile' },
    { name: 'acme', ISSUER: 'https://login.acme.example', CLIENT_ID: 'acme-client', CLIENT_SECRET: 'secret', CLIENT_IDS: '', SCOPES: 'openid email' }
  ])
  t.strictSame(loadConfig({}).oidc_providers, [], 'none by default')
  t.throws(() => loadConfig({ OIDC_PROVIDERS: 'acme', OIDC_ACME_ISSUER: 'https://x.example' }), /CLIENT_ID/, 'a provider without a client id')
  t.throws(() => loadConfig({ OIDC_PROVIDERS: 'acme', OIDC_ACME_ISSUER: 'ftp://x', OIDC_ACME_CLIENT_ID: 'c' }), /ISSUER/, 'an issuer that is no URL')
  t.throws(() => loadConfig({ OIDC_PROVIDERS: 'Bad-Name', OIDC_BAD_NAME_ISSUER: 'https://x.example', OIDC_BAD_NAME_CLIENT_ID: 'c' }), /name/, 'a name that is no identifier')
})

t.test('provider settings are read from .env too', async (t) => {
  const dir = t.testdir({ '.env': 'OIDC_ACME_ISSUER=https://from-dotenv.example\nOIDC_ACME_CLIENT_ID=from-dotenv\n' })
  const cwd = process.cwd()
  process.chdir(dir)
  try {
    const config = loadConfig({ OIDC_PROVIDERS: 'acme', OIDC_ACME_CLIENT_ID: 'from-env' }, { dotenv: true })
    t.match(config.oidc_providers, [{ ISSUER: 'https://from-dotenv.example', CLIENT_ID: 'from-env' }])
  } finally {
    process.chdir(cwd)
  }
})

t.test('usernames made from a profile', async (t) => {
  t.equal(usernameBase(['Ada Lovelace']), 'Ada_Lovelace')
  t.equal(usernameBase(['José Ñúñez']), 'Jose_Nunez', 'accents dropped')
  t.equal(usernameBase(['李', 'ab', 'grace.hopper']), 'grace.hopper', 'the first usable hint')
  t.equal(usernameBase(['--x--', '...']), 'user', 'nothing usable')
  t.equal(usernameBase(['a'.repeat(100)]).length, 25, 'room left for a suffix')
  t.equal(usernameBase(['\u0000evil\u0000name']), 'evil_name', 'control characters')
})

t.test('Google\'s ID tokens may name its issuer without the scheme; no one else\'s may', async (t) => {
  t.strictSame(acceptedIssuers('https://accounts.google.com'), ['https://accounts.google.com', 'accounts.google.com'])
  t.strictSame(acceptedIssuers('https://login.acme.example'), ['https://login.acme.example'])
})
