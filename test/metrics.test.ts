import t from 'tap'
import { register as globalRegistry } from 'prom-client'
import { build } from './helpers/app.js'

t.test('GET /metrics', async (t) => {
  const app = await build(t)
  await app.inject({ url: '/api/v1/users/me' })
  await app.inject({ url: '/api/v1/users/me' })
  await app.inject({ url: '/no/such/secret-path-42' })
  await app.inject({ url: '/health/liveness' })

  const res = await app.inject({ url: '/metrics' })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/)
  t.equal(res.headers['cache-control'], 'no-store')
  t.match(res.body, /^process_cpu_user_seconds_total \d/m, 'process metrics')
  t.match(res.body, /^nodejs_eventloop_lag_seconds /m)
  t.match(res.body, /^http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/users\/me",status_code="401"\} 2$/m,
    'requests counted by route pattern and status')
  t.match(res.body, /^http_request_duration_seconds_count\{method="GET",route="unmatched",status_code="404"\} 1$/m)
  t.match(res.body, /^http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/health\/liveness",status_code="200"\} \d$/m)
  t.notMatch(res.body, /secret-path-42/, 'raw URLs never become labels')

  const again = await app.inject({ url: '/metrics' })
  t.match(again.body, /route="\/metrics",status_code="200"\} 1$/m, 'the scrape itself is measured')

  t.equal(globalRegistry.getSingleMetric('http_request_duration_seconds'), undefined, 'the global registry is left alone')
  t.ok(app.metrics.registry.getSingleMetric('http_request_duration_seconds'), 'the app registry holds it')
})

t.test('the OpenAPI document describes /metrics as text', async (t) => {
  const app = await build(t)
  const doc = (await app.inject({ url: '/docs/json' })).json()
  const op = doc.paths['/metrics'].get
  t.equal(op.operationId, 'metrics')
  t.ok(op.responses['200'].content['text/plain'], 'a text/plain answer')
})
