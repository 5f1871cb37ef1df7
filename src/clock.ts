/** The time the time-dependent rules read (TOTP steps, mfa_token lifetimes), so tests can move it instead of sleeping. */
export interface Clock {
  /** Milliseconds since the epoch, as `Date.now()`. */
  now: () => number
}
