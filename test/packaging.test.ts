import t from 'tap'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { instructions, runDockerfile } from './helpers/dockerfile-steps.js'
import { startServerProcess } from './helpers/server-process.js'
import { freshDatabase, TEST_JWT_SECRET, TEST_KEY_ENCRYPTION_KEY } from './helpers/app.js'

// npm ci, a full build and a prune: minutes on a busy 2-core machine, so CI asks for it once.
t.setTimeout(600_000)

const context = process.cwd()
const skipBuild = process.env.TEST_PACKAGING !== '1' && 'set TEST_PACKAGING=1 to carry out the image build (a few minutes; CI does)'

t.test('the Dockerfile: a slim LTS runtime stage that runs as a non-root user with a health check', async (t) => {
  const steps = instructions(readFileSync(join(context, 'Dockerfile'), 'utf8'))
  const froms = steps.filter((s) => s.op === 'FROM').map((s) => s.args)
  t.equal(froms.length, 2, 'two stages: build and runtime')
  for (const from of froms) t.match(from, /^node:24-slim\b/, 'the current Node LTS, slim')
  const runtime = steps.slice(steps.findLastIndex((s) => s.op === 'FROM'))
  t.ok(runtime.some((s) => s.op === 'USER' && s.args !== 'root'), 'the runtime stage drops root')
  t.notOk(runtime.some((s) => s.op === 'RUN' && /npm (ci|install)/.test(s.args)), 'nothing is installed in the runtime stage')
  t.ok(steps.some((s) => s.op === 'RUN' && /npm prune --omit=dev/.test(s.args)), 'dev dependencies are pruned')
  t.ok(runtime.some((s) => s.op === 'HEALTHCHECK' && s.args.includes('/health/liveness')), 'the health check asks liveness')
  t.ok(runtime.some((s) => s.op === 'CMD' && s.args === '["node", "dist/src/server.js"]'))
  for (const ignoredPath of ['node_modules', '.git', 'data', '.env']) {
    t.match(readFileSync(join(context, '.dockerignore'), 'utf8'), new RegExp(`^${ignoredPath.replace('.', '\\.')}$`, 'm'), `${ignoredPath} stays out of the build context`)
  }
})

t.test('compose.yaml: Redis keeps its marks (AOF) and never evicts them', async (t) => {
  const compose = readFileSync(join(context, 'compose.yaml'), 'utf8')
  t.match(compose, /"--appendonly", "yes"/)
  t.match(compose, /"--maxmemory-policy", "noeviction"/)
  t.match(compose, /condition: service_healthy/, 'the service waits for healthy dependencies')
})

t.test('its build steps, carried out outside a container, give a service that starts and serves', { skip: skipBuild }, async (t) => {
  const into = mkdtempSync(join(tmpdir(), 'image-'))
  t.teardown(() => rmSync(into, { recursive: true, force: true }))
  // The registry's packages are in npm's cache already: no need to fetch them again.
  const stages = runDockerfile(context, into, { npm_config_prefer_offline: 'true', npm_config_loglevel: 'error' })
  const runtime = stages.at(-1)!
  const app = join(runtime.root, runtime.workdir)
  t.ok(existsSync(join(app, 'dist/src/server.js')), 'the compiled server is in the image')
  t.notOk(existsSync(join(app, 'node_modules/typescript')), 'development dependencies are not')
  t.notOk(existsSync(join(app, 'src')), 'nor the TypeScript sources')
  const cmd = runtime.cmd!
  const server = await startServerProcess(cmd, {
    cwd: app,
    env: {
      PATH: process.env.PATH ?? '',
      ...runtime.env,
      HOST: '127.0.0.1',
      PORT: '0',
      JWT_SECRET: TEST_JWT_SECRET,
      JWT_KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY,
      DATA_DIR: join(into, 'data'),
      DATABASE_URL: await freshDatabase(t)
    },
    timeoutMs: 120_000
  })
  t.teardown(() => { if (server.child.exitCode === null) server.child.kill('SIGKILL') })
  const port = new URL(server.url).port
  const [file, ...args] = runtime.healthcheck!
  t.doesNotThrow(() => execFileSync(file!, args, { env: { ...process.env, PORT: port }, stdio: 'pipe' }), 'the HEALTHCHECK command passes')
  const register = await fetch(`${server.url}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'image@example.com', username: 'image', password: 'correct horse battery staple' })
  })
  t.equal(register.status, 201, 'migrations and the password list made it into the image')
  server.child.kill('SIGTERM')
  t.equal(await server.exited, 0, 'and it shuts down cleanly')
})
