import t from 'tap'
import { corsOrigins, loadConfig } from '../src/config.js'
import { ConfigError } from '../src/config-errors.js'

const production = { NODE_ENV: 'production', JWT_SECRET: 'a-production-secret-of-at-least-32-bytes', SMTP_URL: 'smtp://mail.test:25' }

function problemsOf (env: Record<string, string>): string[] {
  try {
    loadConfig(env)
  } catch (err) {
    if (err instanceof ConfigError) return err.problems
    throw err
  }
  return []
}

t.test('TRUST_PROXY=true is refused in production; hop counts and addresses stay', async (t) => {
  t.match(problemsOf({ ...production, TRUST_PROXY: 'true' }), [/^TRUST_PROXY=true is refused in production/])
  t.match(problemsOf({ ...production, TRUST_PROXY: ' TRUE ' }), [/^TRUST_PROXY=true/], 'however it is spelled')
  t.strictSame(problemsOf({ ...production, TRUST_PROXY: '1' }), [])
  t.strictSame(problemsOf({ ...production, TRUST_PROXY: '10.0.0.0/8' }), [])
  t.strictSame(problemsOf({ TRUST_PROXY: 'true' }), [], 'development may trust everyone')
})

t.test('cookie attributes that would weaken or lose the refresh cookie are refused', async (t) => {
  t.match(problemsOf({ ...production, COOKIE_SECURE: 'false' }), [/^COOKIE_SECURE=false is refused in production/])
  t.match(problemsOf({ COOKIE_SAMESITE: 'none', COOKIE_SECURE: 'false' }), [/^COOKIE_SAMESITE=none needs COOKIE_SECURE=true/],
    'SameSite=None without Secure is refused everywhere: browsers drop it')
  t.strictSame(problemsOf({ ...production, COOKIE_SAMESITE: 'none' }), [], 'SameSite=None with Secure is fine')
  t.strictSame(problemsOf({ COOKIE_SECURE: 'false' }), [], 'plain HTTP in development')
})

t.test('production without SMTP_URL needs mail logging chosen explicitly', async (t) => {
  const { SMTP_URL: _smtp, ...noSmtp } = production
  t.match(problemsOf(noSmtp), [/^SMTP_URL is required in production \(or MAIL_LOG=true/])
  t.strictSame(problemsOf({ ...noSmtp, MAIL_LOG: 'true' }), [])
  t.strictSame(problemsOf({}), [], 'development logs mail without being asked')
})

t.test('CORS_ORIGINS entries are validated and normalised to what browsers send', async (t) => {
  t.strictSame(corsOrigins(loadConfig({ CORS_ORIGINS: 'HTTPS://App.Example.com/, http://localhost:5173 ,https://b.test:443' })),
    ['https://app.example.com', 'http://localhost:5173', 'https://b.test'])
  t.strictSame(corsOrigins(loadConfig({ CORS_ORIGINS: 'https://a.test,https://A.test/' })), ['https://a.test'], 'duplicates once')
  for (const bad of ['app.example.com', 'https://app.example.com/spa', 'https://a.test?x=1', 'ftp://a.test', 'https://u:p@a.test', 'null']) {
    t.match(problemsOf({ CORS_ORIGINS: bad }), [/^CORS_ORIGINS entry ".*" is not an origin/], bad)
  }
  t.match(problemsOf({ CORS_ORIGINS: '*' }), [/cannot hold "\*"/])
})

t.test('every problem is one line naming the setting, enums with their allowed values', async (t) => {
  const problems = problemsOf({ COOKIE_SAMESITE: 'sometimes', PORT: 'abc', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://root:hunter2@db/x' })
  t.strictSame(problems.sort(), [
    'COOKIE_SAMESITE="sometimes" is not valid: use one of strict, lax, none',
    'DATABASE_URL is not valid: must match pattern "^(postgres(ql)?://|memory://)"',
    'LOG_LEVEL="loud" is not valid: use one of fatal, error, warn, info, debug, trace, silent',
    'PORT="abc" is not valid: must be integer'
  ])
  t.notMatch(problems.join('\n'), /hunter2/, 'a URL value is never echoed: it may hold a password')
  const all = problemsOf({ ...production, COOKIE_SECURE: 'false', TRUST_PROXY: 'true' })
  t.equal(all.length, 2, 'every production problem at once, not the first only')
})
