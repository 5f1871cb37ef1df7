/**
 * The common-password list of `@zxcvbn-ts/language-common`: passwords seen more than ten times
 * in a public ten-million-password breach corpus, lower-cased.
 */

/** Builds the lookup set; call once per app, never per request. */
export async function loadCommonPasswords (): Promise<ReadonlySet<string>> {
  const { dictionary } = await import('@zxcvbn-ts/language-common')
  return new Set(dictionary['passwords-common'])
}
