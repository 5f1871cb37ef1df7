/**
 * Text that cannot be stored or compared safely: PostgreSQL refuses NUL in `text`, and an unpaired
 * UTF-16 surrogate has no UTF-8 form at all. Either one reaching a query would answer 500.
 */

// Matched on UTF-16 code units (no `u` flag): a high surrogate not followed by a low one, or a low one alone.
const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/
const UNSAFE_CHARACTERS = /[\uD800-\uDFFF]/g

function isUnsafe (text: string): boolean {
  return text.includes('\u0000') || UNPAIRED_SURROGATE.test(text)
}

const pointerSegment = (key: string) => key.replaceAll('~', '~0').replaceAll('/', '~1')

/** The JSON pointer of the first unsafe string (or key) in `value`, or undefined when there is none. */
export function findUnsafeText (value: unknown, path = ''): string | undefined {
  if (typeof value === 'string') return isUnsafe(value) ? path || '/' : undefined
  if (typeof value !== 'object' || value === null) return undefined
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findUnsafeText(value[i], `${path}/${i}`)
      if (found !== undefined) return found
    }
    return undefined
  }
  for (const [key, item] of Object.entries(value)) {
    // An unsafe key is named with its unsafe characters replaced, so the answer itself stays valid text.
    if (isUnsafe(key)) return `${path}/${pointerSegment(key.replaceAll('\u0000', '\uFFFD').replace(UNSAFE_CHARACTERS, '\uFFFD'))}`
    const itemPath = `${path}/${pointerSegment(key)}`
    const found = findUnsafeText(item, itemPath)
    if (found !== undefined) return found
  }
  return undefined
}
