/**
 * Raw argon2id verify rate with the service's parameters, in its own process so nothing else competes
 * for its event loop. Reads an Argon2RateSpec (JSON) on stdin, prints an Argon2RateOutput on stdout.
 */
import { hash, verify } from '@node-rs/argon2'
import { randomBytes } from 'node:crypto'
import { readStdinJson } from './child.js'
import type { Argon2RateOutput, Argon2RateSpec } from './types.js'

// @node-rs/argon2 runs on libuv's threadpool, so its size caps the useful concurrency, as in the server.
const DEFAULT_THREADPOOL_SIZE = 4

async function main (): Promise<void> {
  const spec = await readStdinJson<Argon2RateSpec>()
  const password = `bench-${randomBytes(8).toString('hex')}`
  // The library's default algorithm is argon2id; the check below makes sure of it.
  const hashed = await hash(password, spec.params)
  if (!hashed.startsWith('$argon2id$')) throw new Error(`expected an argon2id hash, got ${hashed.slice(0, 12)}`)
  if (!await verify(hashed, password)) throw new Error('verify() rejected the right password')

  let verifies = 0
  const started = performance.now()
  const deadline = started + spec.durationSeconds * 1000
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      if (!await verify(hashed, password)) throw new Error('verify() rejected the right password')
      verifies++
    }
  }
  await Promise.all(Array.from({ length: spec.concurrency }, worker))
  const elapsedMs = performance.now() - started

  const output: Argon2RateOutput = {
    params: spec.params,
    concurrency: spec.concurrency,
    threadpoolSize: Number(process.env.UV_THREADPOOL_SIZE ?? DEFAULT_THREADPOOL_SIZE),
    verifies,
    elapsedMs,
    verifiesPerSecond: verifies / (elapsedMs / 1000)
  }
  process.stdout.write(JSON.stringify(output))
}

main().catch((err: unknown) => {
  console.error('bench/argon2-rate.ts:', err)
  process.exitCode = 1
})
