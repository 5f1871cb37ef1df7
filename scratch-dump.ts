import { buildApp } from './src/app.js'
import { loadConfig } from './src/config.js'
import { TEST_ENV } from './test/helper.js'
const app = await buildApp({ config: loadConfig({ ...TEST_ENV, DATABASE_URL: 'memory://' }) })
await app.ready()
const res = await app.inject({ url: '/docs/json' })
process.stdout.write(res.body)
await app.close()
