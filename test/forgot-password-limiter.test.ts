import t from 'tap'
import Fastify from 'fastify'
import errorsPlugin from '../plugins/errors.js'
import { createForgotPasswordLimiter } from '../src/services/forgot-password-limiter.js'
import type { CounterStore } from '../src/stores/counter-store.js'
import { createMemoryCounterStore } from '../src/stores/memory-counter-store.js'
import { build } from './helpers/app.js'

const settings = { max: 3, windowSeconds: 3600 }

t.test('three requests an hour per address, counted whatever its spelling', async (t) => {
  const limiter = createForgotPasswordLimiter(createMemoryCounterStore(), settings, () => {})
  for (const email of ['ada@example.com', ' Ada@Example.com', 'ADA@EXAMPLE.COM']) t.same(await limiter.hit(email), { allowed: true })
  const denied = await limiter.hit('ada@example.com')
  t.equal(denied.allowed, false)
  t.ok(!denied.allowed && denied.retryAfter > 3590 && denied.retryAfter <= 3600, 'Retry-After is what is left of the hour')
  t.same(await limiter.hit('grace@example.com'), { allowed: true }, 'other addresses keep their budget')
})

t.test('consume throws 429 rate_limited with Retry-After over the limit', async (t) => {
  const limiter = createForgotPasswordLimiter(createMemoryCounterStore(), { max: 1, windowSeconds: 60 }, () => {})
  await limiter.consume('ada@example.com')
  await t.rejects(limiter.consume('ada@example.com'), { status: 429, code: 'rate_limited', headers: { 'retry-after': '60' } })
})

t.test('an unreachable store lets the request through and reports it', async (t) => {
  const failure = new Error('down')
  const broken: CounterStore = { kind: 'redis', hit: async () => { throw failure }, reset: async () => { throw failure } }
  const reported: unknown[] = []
  const limiter = createForgotPasswordLimiter(broken, { max: 1, windowSeconds: 60 }, (err) => reported.push(err))
  await limiter.consume('ada@example.com')
  await limiter.consume('ada@example.com')
  t.same(reported, [failure, failure])
})

t.test('the app exposes the limiter with FORGOT_PASSWORD_EMAIL_MAX', async (t) => {
  const app = await build(t, { FORGOT_PASSWORD_EMAIL_MAX: '2' })
  t.same(await app.forgotPasswordLimiter.hit('ada@example.com'), { allowed: true })
  t.same(await app.forgotPasswordLimiter.hit('ada@example.com'), { allowed: true })
  t.match(await app.forgotPasswordLimiter.hit('ada@example.com'), { allowed: false })
})

t.test('a handler calling consume answers a problem with Retry-After', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(errorsPlugin)
  const limiter = createForgotPasswordLimiter(createMemoryCounterStore(), { max: 1, windowSeconds: 3600 }, () => {})
  app.post<{ Body: { email: string } }>('/forgot', async (request, reply) => {
    await limiter.consume(request.body.email)
    return reply.code(202).send({ message: 'sent if the account exists' })
  })
  const send = () => app.inject({ method: 'POST', url: '/forgot', payload: { email: 'ada@example.com' } })
  t.equal((await send()).statusCode, 202)
  const res = await send()
  t.equal(res.statusCode, 429)
  t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.equal(res.headers['retry-after'], '3600')
  t.match(res.json(), { code: 'rate_limited', detail: /password reset requests/ })
})
