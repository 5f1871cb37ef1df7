/**
 * `npm run -s openapi > openapi.json`: prints the OpenAPI document the server serves at /docs/json,
 * for SDK generators and linters, without a database or Redis of its own (the app is built on a
 * throwaway in-memory database and closed again).
 */
import { randomBytes } from 'node:crypto'
import { buildApp } from '../app.js'
import { loadConfig } from '../config.js'

const app = await buildApp({
  config: loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: 'memory://',
    JWT_SECRET: randomBytes(32).toString('base64url')
  })
})
try {
  const res = await app.inject({ url: '/docs/json' })
  process.stdout.write(`${JSON.stringify(res.json(), null, 2)}\n`)
} finally {
  await app.close()
}
