/** Registers @fastify/jwt with a pinned algorithm and exposes `app.accessTokens` and `app.signingKeys`. */
import fp from 'fastify-plugin'
import fastifyJwt from '@fastify/jwt'
import { resolveSigningKeys, type SigningKeys } from '../src/services/signing-keys.js'
import { ACCESS_TOKEN_TYPE, createAccessTokens, type AccessClaims, type AccessTokens } from '../src/services/tokens.js'

declare module 'fastify' {
  interface FastifyInstance {
    accessTokens: AccessTokens
    signingKeys: SigningKeys
  }
}

const VERIFIED_TOKEN_CACHE_SIZE = 10_000

export default fp(async (app) => {
  const { config } = app
  const keys = await resolveSigningKeys(config, { warn: (message) => app.log.warn(message) })
  await app.register(fastifyJwt, {
    secret: { private: keys.privateKey, public: keys.publicKey },
    sign: { algorithm: keys.algorithm, header: { alg: keys.algorithm, typ: ACCESS_TOKEN_TYPE, ...(keys.kid === undefined ? {} : { kid: keys.kid }) } },
    verify: {
      algorithms: [keys.algorithm],
      allowedIss: config.JWT_ISSUER,
      allowedAud: config.JWT_AUDIENCE,
      checkTyp: ACCESS_TOKEN_TYPE,
      requiredClaims: ['iss', 'aud', 'sub', 'sid', 'jti', 'iat', 'exp'],
      // Signature checks dominate the hot path; the cache honours each token's own `exp`.
      cache: VERIFIED_TOKEN_CACHE_SIZE
    }
  })
  app.decorate('signingKeys', keys)
  app.decorate('accessTokens', createAccessTokens(
    { sign: (claims: AccessClaims) => app.jwt.sign(claims), verify: (token: string) => app.jwt.verify(token) },
    { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, clientId: config.JWT_CLIENT_ID, ttlSeconds: config.ACCESS_TOKEN_TTL }
  ))
}, { name: 'tokens', dependencies: ['config'] })
