/** The OpenAPI document the app serves at /docs/json, built without any running service. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildApp } from './app.js'
import { loadConfig } from './config.js'

/** Built on embedded, throw-away defaults, so the same text comes out on every machine. */
export async function openApiDocument (): Promise<string> {
  const dataDir = await mkdtemp(join(tmpdir(), 'auth-service-openapi-'))
  try {
    const app = await buildApp({
      config: loadConfig({ LOG_LEVEL: 'silent', DATABASE_URL: 'memory://', DATA_DIR: dataDir, JWT_SECRET: 'openapi-document-only-secret-of-32-bytes!' })
    })
    try {
      await app.ready()
      return `${JSON.stringify(app.swagger(), null, 2)}\n`
    } finally {
      await app.close()
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true })
  }
}
