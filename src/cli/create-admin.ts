/** `npm run create-admin -- --email E --username U --password-stdin`; see create-admin-command.ts. */
import { text } from 'node:stream/consumers'
import { createAdminCommand } from './create-admin-command.js'

process.exitCode = await createAdminCommand(process.argv.slice(2), { env: process.env, dotenv: true, readStdin: () => text(process.stdin) })
