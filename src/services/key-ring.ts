/**
 * Signs access tokens with the current key and verifies them by their `kid` among the published
 * keys only, each key with its own pinned algorithm and its own fast-jwt verifier (whose cache
 * keeps one verification per token). An unknown `kid` reloads the keys at most every 5 s.
 */
import { createSigner, createVerifier } from 'fast-jwt'
import type { KeySet, PublicJwk, VerificationKey } from './signing-keys.js'

export const UNKNOWN_KID_RELOAD_INTERVAL_MS = 5000
const VERIFIED_TOKEN_CACHE_SIZE = 10_000

export interface KeyRingSettings {
  issuer: string
  audience: string
  tokenType: string
  requiredClaims: string[]
  /** Reads the keys again; undefined for a static configuration, which never changes. */
  reload: (() => Promise<KeySet>) | undefined
  nowMs?: () => number
}

type Verify = (token: string) => unknown

export class UnknownKeyError extends Error {
  constructor () {
    super('the token names no published key')
    this.name = 'UnknownKeyError'
  }
}

/** The `kid` of a compact JWS header, null when it has none; throws on a token that is not one. */
function kidOf (token: string): string | null {
  const end = token.indexOf('.')
  const header: unknown = JSON.parse(Buffer.from(end < 0 ? token : token.slice(0, end), 'base64url').toString('utf8'))
  if (typeof header !== 'object' || header === null) throw new Error('not a JWS header')
  const { kid } = header as { kid?: unknown }
  if (kid === undefined) return null
  if (typeof kid !== 'string') throw new Error('kid is not a string')
  return kid
}

export function createKeyRing (initial: KeySet, settings: KeyRingSettings) {
  const nowMs = settings.nowMs ?? Date.now
  let keys = initial
  let sign = signerFor(initial)
  let verifiers = new Map<string, Verify>()
  let withoutKid: Verify | undefined
  let lastReloadMs = -Infinity
  let reloading: Promise<void> | undefined

  function signerFor (set: KeySet) {
    const { signing } = set
    return createSigner({ key: signing.signKey, algorithm: signing.alg, kid: signing.kid, header: { alg: signing.alg, typ: settings.tokenType } })
  }

  function verifierFor (key: VerificationKey): Verify {
    return createVerifier({
      key: key.verifyKey,
      algorithms: [key.alg],
      allowedIss: settings.issuer,
      allowedAud: settings.audience,
      checkTyp: settings.tokenType,
      requiredClaims: settings.requiredClaims,
      cache: VERIFIED_TOKEN_CACHE_SIZE
    })
  }

  function install (set: KeySet): void {
    // A key that stays keeps its verifier, and so its cache of verified tokens.
    const previous = verifiers
    verifiers = new Map(set.verification.map((k) => [k.kid, previous.get(k.kid) ?? verifierFor(k)]))
    withoutKid = set.withoutKid === undefined ? undefined : verifiers.get(set.withoutKid.kid)
    if (set.signing.kid !== keys.signing.kid) sign = signerFor(set)
    keys = set
  }
  install(initial)

  async function reload (): Promise<void> {
    if (settings.reload === undefined) return
    lastReloadMs = nowMs()
    install(await settings.reload())
  }

  function verifyAfterReload (token: string, kid: string): Promise<unknown> {
    reloading ??= reload().finally(() => { reloading = undefined })
    return reloading.then(() => {
      const verify = verifiers.get(kid)
      if (verify === undefined) throw new UnknownKeyError()
      return verify(token)
    })
  }

  return {
    sign: (claims: object): string => sign(claims),

    /**
     * The verified payload; a promise only when the token names a key this instance has not loaded
     * (it reloads once, at most every 5 s, then answers). Throws or rejects on any failure.
     */
    verify (token: string): unknown {
      const kid = kidOf(token)
      const verify = kid === null ? withoutKid : verifiers.get(kid)
      if (verify !== undefined) return verify(token)
      if (kid === null || settings.reload === undefined) throw new UnknownKeyError()
      if (reloading === undefined && nowMs() - lastReloadMs < UNKNOWN_KID_RELOAD_INTERVAL_MS) throw new UnknownKeyError()
      return verifyAfterReload(token, kid)
    },

    /** Re-reads the keys (every JWT_KEYS_REFRESH, and after a rotation by this instance). */
    reload,

    get signingKid (): string { return keys.signing.kid },

    /** The public keys of `/.well-known/jwks.json`: next, current and unexpired retired ones. */
    jwks (): PublicJwk[] {
      return keys.verification.flatMap((k) => k.publicJwk === undefined ? [] : [k.publicJwk])
    }
  }
}

export type KeyRing = ReturnType<typeof createKeyRing>
