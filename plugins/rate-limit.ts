/**
 * The request rate limits (see "Rate limits" in the README), counted by @fastify/rate-limit: in Redis when it is configured
 * (every instance shares the counts), in process otherwise.
 *
 * One root `onRequest` hook picks the limit of the matched route, so a request is counted before any
 * auth guard of a route plugin runs (a flood of bad tokens is limited too):
 * - `config: { rateLimit: false }`: not limited (health, docs, metrics);
 * - `config: { rateLimit: { max, timeWindow, keyGenerator?, groupId? } }`: the route's own limit, per
 *   client IP unless it names another key, counted instead of the global one; routes with the same
 *   `groupId` share their counts;
 * - no `rateLimit`: the global limit, per user when a validly signed access token is presented,
 *   else per client IP.
 */
import fp from 'fastify-plugin'
import fastifyRateLimit, { normalizeIP, type RateLimitOptions } from '@fastify/rate-limit'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { errors } from '../src/errors.js'
import { redisStoreUnder } from './rate-limit-store.js'

export const RATE_LIMIT_WINDOW_MS = 60_000

// Clients tracked per limiter by the in-process store before the least recently seen is forgotten.
const LOCAL_STORE_SIZE = 10_000

type Limiter = ReturnType<FastifyInstance['createRateLimit']>

export default fp(async (app) => {
  const { config } = app

  // Registered in a scope of its own: its onRoute hook would otherwise attach a second, per-route
  // hook that runs after the route plugins' auth guards. Limiters come from its createRateLimit.
  let createLimiter: FastifyInstance['createRateLimit'] | undefined
  await app.register(async (scope) => {
    await scope.register(fastifyRateLimit, {
      global: false,
      max: config.RATE_LIMIT_MAX,
      timeWindow: RATE_LIMIT_WINDOW_MS,
      ...(app.hasDecorator('redis') ? { store: redisStoreUnder(app.redis, 'rl:') } : {})
    })
    createLimiter = scope.createRateLimit
  })
  const create = (options: RateLimitOptions): Limiter => {
    if (createLimiter === undefined) throw new Error('@fastify/rate-limit is not registered')
    const withCache: RateLimitOptions = { cache: LOCAL_STORE_SIZE, ...options }
    return createLimiter(withCache)
  }

  const clientIp = (request: FastifyRequest): string => `ip:${normalizeIP(request.ip)}`

  // Only a token whose signature verified names the user (the auth plugin's arrival hook checked
  // it): an unverified `sub` would let anyone drain someone else's bucket. A bad token is counted
  // against the client IP, and the guard answers 401; revocation is left to the guard.
  // The user's hash tag puts the counter in the Redis Cluster slot of the user's revocation keys, so
  // it travels in the same pipeline as the access check.
  const userOrIp = (request: FastifyRequest): string =>
    request.verifiedClaims === null ? clientIp(request) : `user:{${request.verifiedClaims.sub}}`

  // Limiters share one Redis namespace (`rl:`), so every key is `<client>|<limiter>`. For the routes
  // of a group, the plugin itself appends the group id to the key, which names the limiter.
  const globalLimiter = create({ keyGenerator: (request) => `${userOrIp(request)}|all` })
  const routeLimiters = new Map<string, Limiter>()

  function limiterOf (request: FastifyRequest): Limiter | undefined {
    const own = request.routeOptions.config.rateLimit
    if (own === false) return undefined
    if (own === undefined) return globalLimiter
    const name = own.groupId ?? `${request.method} ${request.routeOptions.url ?? ''}`
    let limiter = routeLimiters.get(name)
    if (limiter === undefined) {
      const keyOf = own.keyGenerator ?? clientIp
      const suffix = own.groupId === undefined ? name : ''
      limiter = create({ ...own, keyGenerator: async (request) => `${String(await keyOf(request))}|${suffix}` })
      routeLimiters.set(name, limiter)
    }
    return limiter
  }

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const limiter = limiterOf(request)
    if (limiter === undefined) return
    let limit: Awaited<ReturnType<Limiter>>
    try {
      limit = await limiter(request)
    } catch (err) {
      // Fail open: an unreachable Redis must not take the whole API down with it.
      request.log.error({ err }, 'rate limit store unavailable: request let through')
      return
    }
    if (limit.isAllowed) return
    reply.header('x-ratelimit-limit', limit.max)
      .header('x-ratelimit-remaining', limit.remaining)
      .header('x-ratelimit-reset', limit.ttlInSeconds)
    if (limit.isExceeded) throw errors.rateLimited(limit.ttlInSeconds)
  })
}, { name: 'rate-limit', dependencies: ['config', 'stores', 'access-tokens', 'auth'] })
