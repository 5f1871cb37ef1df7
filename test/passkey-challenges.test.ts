import t from 'tap'
import { createMemoryEphemeralStore } from '../src/stores/memory-ephemeral-store.js'
import type { EphemeralStore } from '../src/stores/ephemeral-store.js'
import { CHALLENGE_TTL_SECONDS, createPasskeyChallenges } from '../src/services/passkey-challenges.js'
import { build } from './helpers/app.js'
import { loginOptions } from './helpers/passkeys.js'

const USER = '5f0c1a4e-7d1b-4c55-9b7a-0d4c2f3e9a11'
const OTHER = '0e6a1b2c-3d4e-4f50-8a9b-1c2d3e4f5a6b'
const CHALLENGE = 'q2X4v5Jm8b3Kc9Lp0RsTuVwXyZaBcDeFgHiJkLmNoPq'

function clocked () {
  let now = 1_750_000_000_000
  const ttls: number[] = []
  const memory = createMemoryEphemeralStore(() => now)
  const store: EphemeralStore = { ...memory, put: async (key, value, ttl) => { ttls.push(ttl); await memory.put(key, value, ttl) } }
  return { challenges: createPasskeyChallenges(store, () => now), ttls, advance: (ms: number) => { now += ms } }
}

t.test('an account ceremony\'s challenge: once, for that account and ceremony, for 5 minutes', async (t) => {
  const { challenges, ttls, advance } = clocked()
  await challenges.keepForAccount('registration', USER, CHALLENGE)
  t.same(ttls, [CHALLENGE_TTL_SECONDS])
  t.equal(CHALLENGE_TTL_SECONDS, 300)
  t.notOk(await challenges.redeemForAccount('registration', OTHER, CHALLENGE), 'not for another account')
  t.notOk(await challenges.redeemForAccount('second-factor', USER, CHALLENGE), 'not for another ceremony')
  advance(299_000)
  t.ok(await challenges.redeemForAccount('registration', USER, CHALLENGE), 'within 5 minutes')
  t.notOk(await challenges.redeemForAccount('registration', USER, CHALLENGE), 'and only once')

  await challenges.keepForAccount('registration', USER, CHALLENGE)
  advance(300_000)
  t.notOk(await challenges.redeemForAccount('registration', USER, CHALLENGE), 'not after 5 minutes')

  for (const odd of ['', 'short', `${CHALLENGE}:x`, `{${USER}}`, 'a'.repeat(200), `${CHALLENGE.slice(0, 40)}\u0000`]) {
    t.notOk(await challenges.redeemForAccount('registration', USER, odd), JSON.stringify(odd))
  }
})

t.test('a sign-in challenge: an opaque id, once, for 5 minutes', async (t) => {
  const { challenges, advance } = clocked()
  const id = await challenges.keepForSignIn(CHALLENGE)
  t.match(id, /^[A-Za-z0-9_-]{43}$/)
  t.not(await challenges.keepForSignIn(CHALLENGE), id, 'a new id every time')
  t.equal(await challenges.redeemForSignIn(id), CHALLENGE)
  t.equal(await challenges.redeemForSignIn(id), undefined, 'once')

  const late = await challenges.keepForSignIn(CHALLENGE)
  advance(300_001)
  t.equal(await challenges.redeemForSignIn(late), undefined, 'expired')
})

t.test('the app keeps its challenges in the shared store with a 5-minute TTL', async (t) => {
  const app = await build(t)
  const { challenge_id: challengeId } = await loginOptions(app)
  t.ok(await app.ephemeral.peek(`passkey-sign-in:${challengeId}`), `kept in the ${app.ephemeral.kind} store`)
  if (app.ephemeral.kind === 'redis') {
    const ttl = await app.redis.ttl(`eph:passkey-sign-in:${challengeId}`)
    t.ok(ttl > 290 && ttl <= 300, `Redis TTL ${ttl}`)
  }
})
