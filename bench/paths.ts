import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const benchDir = dirname(fileURLToPath(import.meta.url))
export const projectRoot = dirname(benchDir)
export const resultsDir = join(benchDir, 'results')
export const loadScript = join(benchDir, 'load.ts')
export const argon2Script = join(benchDir, 'argon2-rate.ts')
