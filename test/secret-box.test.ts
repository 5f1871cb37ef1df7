import t, { type Test } from 'tap'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { sql } from 'kysely'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { ENCRYPTION_KEY_FILE, parseEncryptionKey, resolveEncryptionKey } from '../src/services/encryption-key.js'
import { createSecretBox, SecretBoxError } from '../src/services/secret-box.js'
import { build, TEST_ENV } from './helpers/app.js'
import { restoredPglite } from './helpers/pglite-template.js'

async function tempDir (t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'auth-box-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

const failure = (reason: string) => ({ name: 'SecretBoxError', reason })

t.test('seal and open round-trip any bytes and any text', async (t) => {
  const box = createSecretBox(randomBytes(32))
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => box.open(box.seal(bytes)).equals(Buffer.from(bytes))), { numRuns: 50 })
  fc.assert(fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (text, context) =>
    box.open(box.seal(text, context), context).toString('utf8') === text), { numRuns: 50 })
  const sealed = box.seal('JBSWY3DPEHPK3PXP')
  t.match(sealed, /^sb1\.[\w-]+\.[\w-]+\.[\w-]+\.[\w-]+$/, 'a versioned, self-describing string')
  t.not(box.seal('JBSWY3DPEHPK3PXP'), sealed, 'a fresh IV each time')
  t.notMatch(sealed, /JBSWY3DP/, 'the plaintext does not show')
})

t.test('another key, an altered value or another context is a clear error', async (t) => {
  const key = randomBytes(32)
  const box = createSecretBox(key)
  const sealed = box.seal('private key', 'kid-1')
  t.throws(() => createSecretBox(randomBytes(32)).open(sealed, 'kid-1'), failure('wrong_key'))
  t.throws(() => createSecretBox(randomBytes(32)).open(sealed, 'kid-1'), /another encryption key/)
  t.equal(createSecretBox(Buffer.from(key)).open(sealed, 'kid-1').toString(), 'private key', 'the same key bytes open it')

  const parts = sealed.split('.')
  const flipped = (i: number) => {
    const bytes = Buffer.from(parts[i] ?? '', 'base64url')
    bytes[0] = (bytes[0] ?? 0) ^ 1
    return parts.map((p, j) => j === i ? bytes.toString('base64url') : p).join('.')
  }
  for (const i of [2, 3, 4]) t.throws(() => box.open(flipped(i), 'kid-1'), failure('tampered'), `part ${i} altered`)
  t.throws(() => box.open(sealed, 'kid-2'), failure('tampered'), 'moved to another record')
  t.throws(() => box.open(sealed), failure('tampered'), 'opened without its context')
  for (const bad of ['', 'sb1', 'sb2.a.b.c.d', parts.slice(0, 4).join('.'), `${sealed}.x`, flipped(1).replace(/^sb1\.[\w-]+/, 'sb1.AA')]) {
    t.throws(() => box.open(bad), failure('malformed'), `malformed: ${JSON.stringify(bad.slice(0, 20))}`)
  }
  t.ok(new SecretBoxError('tampered', 'x') instanceof Error)
  t.throws(() => createSecretBox(randomBytes(16)), /at least 32 bytes/, 'a short key is refused')
})

t.test('JWT_KEY_ENCRYPTION_KEY is strict base64 of 32 bytes or more', async (t) => {
  const key = randomBytes(48)
  t.same(parseEncryptionKey(key.toString('base64')), key)
  t.same(parseEncryptionKey(`${key.toString('base64url')}\n`), key, 'base64url and a trailing newline are fine')
  t.throws(() => parseEncryptionKey(randomBytes(31).toString('base64')), /at least 32 bytes, not 31/)
  t.throws(() => parseEncryptionKey('not base64 at all, but long enough to be 32 bytes!'), /must be base64/)
  t.throws(() => parseEncryptionKey(`${key.toString('base64')}\u0000`), /must be base64/)
})

t.test('production refuses to start without JWT_KEY_ENCRYPTION_KEY, or with a bad one', async (t) => {
  const production = { ...TEST_ENV, NODE_ENV: 'production', DATABASE_URL: 'memory://' }
  const refused = async (key: string | undefined, expected: RegExp) => {
    const database = await restoredPglite()
    await t.rejects(buildApp({ config: loadConfig({ ...production, JWT_KEY_ENCRYPTION_KEY: key }), database }), expected)
    await t.rejects(sql`select 1`.execute(database.db), 'the failed build closed the database')
  }
  await refused(undefined, /JWT_KEY_ENCRYPTION_KEY .* is required in production/)
  await refused('c2hvcnQ=', /at least 32 bytes/)
  const app = await build(t, { NODE_ENV: 'production' })
  t.equal(app.secretBox.open(app.secretBox.seal('ok')).toString(), 'ok', 'a configured key is enough')
})

t.test('development generates a key into DATA_DIR, readable by the owner only, and reuses it', async (t) => {
  const dir = await tempDir(t)
  const warnings: string[] = []
  const notices = { warn: (message: string) => { warnings.push(message) } }
  const config = loadConfig({ NODE_ENV: 'development', DATA_DIR: join(dir, 'nested') })
  const [first, racing] = await Promise.all([resolveEncryptionKey(config, notices), resolveEncryptionKey(config, notices)])
  t.same(racing, first, 'two instances starting together agree on one key')
  t.equal(first.length, 32)
  const file = join(dir, 'nested', ENCRYPTION_KEY_FILE)
  t.equal((await stat(file)).mode & 0o777, 0o600, 'readable by the owner only')
  t.equal(warnings.length, 1, 'one warning, from the instance that generated it')
  t.match(warnings[0], /JWT_KEY_ENCRYPTION_KEY is not set: generated one in .*; set JWT_KEY_ENCRYPTION_KEY in production/)
  t.notMatch(warnings[0], await readFile(file, 'utf8'), 'the warning does not show the key')

  const app = await build(t, { NODE_ENV: 'development', JWT_KEY_ENCRYPTION_KEY: '', DATA_DIR: join(dir, 'nested') })
  t.equal(createSecretBox(first).open(app.secretBox.seal('survives a restart')).toString(), 'survives a restart')
  t.equal(warnings.length, 1)

  await writeFile(join(dir, ENCRYPTION_KEY_FILE), 'not a key!')
  await t.rejects(resolveEncryptionKey(loadConfig({ DATA_DIR: dir }), notices), new RegExp(`${ENCRYPTION_KEY_FILE} must be base64`), 'a damaged key file is a clear error')
})
