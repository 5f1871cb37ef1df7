/** `npm run openapi [file]`: writes the served OpenAPI document to `openapi.json` (or the file named). */
import { writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { openApiDocument } from '../openapi-document.js'

const target = resolve(process.argv[2] ?? 'openapi.json')
await writeFile(target, await openApiDocument())
console.log(`wrote ${target}`)
