/** Resolves `JWT_KEY_ENCRYPTION_KEY`, the key of the secret box: configured, or generated into DATA_DIR in development. */
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { requiresConfiguredSecrets, type Config } from '../config.js'
import { MIN_ENCRYPTION_KEY_BYTES } from './secret-box.js'

export const ENCRYPTION_KEY_FILE = 'jwt-key-encryption-key'

export interface EncryptionKeyNotices {
  warn: (message: string) => void
}

const BASE64 = /^(?:[A-Za-z0-9+/]+|[A-Za-z0-9_-]+)={0,2}$/

/** Decodes base64 (or base64url) text strictly: a typo must not silently become another key. */
export function parseEncryptionKey (text: string, name = 'JWT_KEY_ENCRYPTION_KEY'): Buffer {
  const trimmed = text.trim()
  if (!BASE64.test(trimmed)) throw new Error(`${name} must be base64 (at least ${MIN_ENCRYPTION_KEY_BYTES} random bytes)`)
  const key = Buffer.from(trimmed.replaceAll('-', '+').replaceAll('_', '/'), 'base64')
  if (key.length < MIN_ENCRYPTION_KEY_BYTES) throw new Error(`${name} must decode to at least ${MIN_ENCRYPTION_KEY_BYTES} bytes, not ${key.length}`)
  return key
}

export async function resolveEncryptionKey (config: Config, notices: EncryptionKeyNotices): Promise<Buffer> {
  if (config.JWT_KEY_ENCRYPTION_KEY !== undefined) return parseEncryptionKey(config.JWT_KEY_ENCRYPTION_KEY)
  if (requiresConfiguredSecrets(config)) {
    throw new Error(`JWT_KEY_ENCRYPTION_KEY (${MIN_ENCRYPTION_KEY_BYTES}+ random bytes, base64) is required in production`)
  }
  const file = join(config.DATA_DIR, ENCRYPTION_KEY_FILE)
  if (!existsSync(file)) {
    await mkdir(config.DATA_DIR, { recursive: true })
    const text = randomBytes(MIN_ENCRYPTION_KEY_BYTES).toString('base64')
    // `wx`: of two instances starting together on one DATA_DIR, the second reads the first one's key.
    const generated = await writeFile(file, text, { mode: 0o600, flag: 'wx' }).then(() => true, (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err
      return false
    })
    if (generated) notices.warn(`JWT_KEY_ENCRYPTION_KEY is not set: generated one in ${file}; set JWT_KEY_ENCRYPTION_KEY in production`)
  }
  return parseEncryptionKey(await readFile(file, 'utf8'), file)
}
