/** `npm run rotate-keys [-- --force]`; see rotate-keys-command.ts. */
import { rotateKeysCommand } from './rotate-keys-command.js'

process.exitCode = await rotateKeysCommand(process.argv.slice(2), { env: process.env, dotenv: true })
