/**
 * Loads tsx for the test processes with the TypeScript sources kept in its source maps.
 * tsx embeds them only when it sees NODE_V8_COVERAGE, but tap collects coverage through the
 * inspector, so the variable is unset; without the sources, c8 maps every file to a single line
 * and reports 100%. This module registers itself as a (hook-less) loader module, so the variable
 * is set in the loader thread alone, where tsx compiles, and no test or child process sees it.
 */
import { register } from 'node:module'
import { isMainThread } from 'node:worker_threads'

if (isMainThread) {
  register(import.meta.url)
  await import('tsx')
} else {
  process.env.NODE_V8_COVERAGE ??= 'tsx-sources'
}
