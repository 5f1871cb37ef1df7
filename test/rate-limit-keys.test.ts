/** The rate limits' Redis keys name their client and limiter, under `<REDIS_KEY_PREFIX>rl:` (not `rl:undefinedundefined-…`). */
import t from 'tap'
import { Redis } from 'ioredis'
import { build, realRedisUrl, registerUser, TEST_PASSWORD } from './helpers/app.js'

t.test('rate-limit keys in Redis read <prefix>rl:<client>|<limiter>', { skip: realRedisUrl === undefined && 'needs Redis: set TEST_REDIS_URL' }, async (t) => {
  const app = await build(t)
  const { username, session } = await registerUser(app)
  await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password: TEST_PASSWORD } })
  await app.inject({ url: '/api/v1/users/me', headers: { authorization: `Bearer ${session.access_token}` } })

  const redis = new Redis(realRedisUrl ?? '')
  t.teardown(() => redis.disconnect())
  const prefix = app.config.REDIS_KEY_PREFIX
  const keys = (await redis.keys(`${prefix}rl:*`)).map((k) => k.slice(prefix.length)).sort()
  t.strictSame(keys, [
    'rl:ip:127.0.0.1|POST /api/v1/auth/register',
    'rl:ip:127.0.0.1|login',
    `rl:user:{${session.user.id}}|all`
  ])
})
