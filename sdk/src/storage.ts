/** Where body mode keeps the refresh token: memory by default, or a store the app supplies. */

/**
 * The storage interface. A React Native app implements it over a secure store (Keychain /
 * Keystore), never plain AsyncStorage; each method may answer synchronously or with a promise.
 */
export interface TokenStorage {
  get: (key: string) => Promise<string | null> | string | null
  set: (key: string, value: string) => Promise<void> | void
  remove: (key: string) => Promise<void> | void
}

/** Forgets everything when the page or process ends: the safe default. */
export function memoryStorage (): TokenStorage {
  const values = new Map<string, string>()
  return {
    get: (key) => values.get(key) ?? null,
    set: (key, value) => { values.set(key, value) },
    remove: (key) => { values.delete(key) }
  }
}
