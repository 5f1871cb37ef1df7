import { buildApp } from './src/app.js'
import { loadConfig } from './src/config.js'
import { TEST_ENV } from './test/helpers/app.js'
const app = await buildApp({ config: loadConfig({ ...TEST_ENV, DATABASE_URL: 'memory://' }) })
await app.listen({ port: 0, host: '127.0.0.1' })
const port = (app.server.address() as any).port
const results: Record<string, number> = {}
for (let i = 0; i < 10; i++) {
  for (const size of [2_000_000, 20_000_000]) {
    const key = String(size)
    const chunk = new TextEncoder().encode('x'.repeat(65536))
    let sent = 0
    const body = new ReadableStream({ pull (c) { if (sent >= size) { c.close(); return } sent += chunk.length; c.enqueue(chunk) } })
    try {
      const r = await fetch(`http://127.0.0.1:${port}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, duplex: 'half' } as any)
      await r.text(); results[key + r.status] = (results[key + r.status] ?? 0) + 1
    } catch (e) { const c = key + ((e as any).cause?.code ?? 'err'); results[c] = (results[c] ?? 0) + 1 }
    try {
      const r = await fetch(`http://127.0.0.1:${port}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(size) })
      await r.text(); results['L' + key + r.status] = (results['L' + key + r.status] ?? 0) + 1
    } catch (e) { const c = 'L' + key + ((e as any).cause?.code ?? 'err'); results[c] = (results[c] ?? 0) + 1 }
  }
}
console.log(results)
await app.close()
