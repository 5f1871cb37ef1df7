/** The committed openapi.json and the SDK types generated from it must be what the code serves today. */
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openApiDocument } from '../src/openapi-document.js'

const STALE = 'stale: run `npm run openapi` and commit openapi.json and sdk/src/schema.ts'

t.test('openapi.json is the served document', async (t) => {
  const served = await openApiDocument()
  t.equal(readFileSync('openapi.json', 'utf8'), served, STALE)
})

t.test('the SDK types are generated from that file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sdk-types-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const document = join(dir, 'openapi.json')
  writeFileSync(document, readFileSync('openapi.json'))
  const generated = join(dir, 'schema.ts')
  execFileSync(join('node_modules', '.bin', 'openapi-typescript'), [document, '-o', generated], { stdio: 'pipe' })
  t.equal(readFileSync('sdk/src/schema.ts', 'utf8'), readFileSync(generated, 'utf8'), STALE)
})
