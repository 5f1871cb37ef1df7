import t from 'tap'
import { build } from './helpers/app.js'

const forgot = (email: string, ip = '203.0.113.7') => ({
  method: 'POST' as const, url: '/api/v1/auth/forgot-password', payload: { email }, remoteAddress: ip
})

t.test('forgot-password: 3 an hour per email, whoever asks and however it is spelled', async (t) => {
  const app = await build(t, { FORGOT_PASSWORD_EMAIL_MAX: '3' })
  for (const [i, spelling] of ['ada@example.com', 'ADA@example.com', ' Ada@Example.com'].entries()) {
    const res = await app.inject(forgot(spelling.trim(), `203.0.113.${i + 1}`))
    t.equal(res.statusCode, 202, `request ${i + 1} is accepted`)
  }
  const limited = await app.inject(forgot('ada@EXAMPLE.com', '203.0.113.99'))
  t.equal(limited.statusCode, 429)
  t.equal(limited.json().code, 'rate_limited')
  t.ok(Number(limited.headers['retry-after']) > 0, 'Retry-After is set')
  t.equal((await app.inject(forgot('grace@example.com', '203.0.113.99'))).statusCode, 202, 'another address is not affected')
})

t.test('forgot-password: RATE_LIMIT_FORGOT_MAX per minute per IP', async (t) => {
  const app = await build(t, { RATE_LIMIT_FORGOT_MAX: '2' })
  t.equal((await app.inject(forgot('a@example.com'))).statusCode, 202)
  t.equal((await app.inject(forgot('b@example.com'))).statusCode, 202)
  const limited = await app.inject(forgot('c@example.com'))
  t.equal(limited.statusCode, 429)
  t.equal(limited.json().code, 'rate_limited')
  t.equal(limited.headers['x-ratelimit-limit'], '2')
  t.equal((await app.inject(forgot('c@example.com', '198.51.100.1'))).statusCode, 202, 'another IP has its own budget')
})
