/** `npm run create-admin -- --email E --username U --password P`; see create-admin-command.ts. */
import { createAdminCommand } from './create-admin-command.js'

process.exitCode = await createAdminCommand(process.argv.slice(2), { env: process.env, dotenv: true })
