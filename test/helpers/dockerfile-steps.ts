/**
 * Carries out a Dockerfile's build steps on this machine, outside a container: each stage gets a
 * folder standing for its file system, COPY copies from the build context (less .dockerignore) or
 * from an earlier stage, RUN runs in the stage's WORKDIR with its ENV. Enough of the format for a
 * multi-stage Node image, so a test proves the recipe where no Docker engine runs.
 */
import { execSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs'
import { basename, join, relative } from 'node:path'

export interface Stage {
  name: string
  root: string
  workdir: string
  env: Record<string, string>
  user: string | undefined
  cmd: string[] | undefined
  healthcheck: string[] | undefined
}

/** The instructions, with continuation lines joined and comments dropped. */
export function instructions (dockerfile: string): Array<{ op: string, args: string }> {
  return dockerfile.replace(/\\\n/g, ' ').split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [op = '', ...rest] = line.split(/\s+/)
      return { op: op.toUpperCase(), args: rest.join(' ') }
    })
}

function ignored (context: string): Set<string> {
  const file = join(context, '.dockerignore')
  if (!existsSync(file)) return new Set()
  return new Set(readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#')))
}

export function runDockerfile (context: string, into: string, extraEnv: Record<string, string>): Stage[] {
  const stages: Stage[] = []
  const skip = ignored(context)
  const inStage = (stage: Stage, path: string) => join(stage.root, path.startsWith('/') ? path : join(stage.workdir, path))
  for (const { op, args } of instructions(readFileSync(join(context, 'Dockerfile'), 'utf8'))) {
    const stage = stages.at(-1)
    if (op === 'FROM') {
      const name = /\s+AS\s+(\S+)$/i.exec(args)?.[1] ?? String(stages.length)
      const root = join(into, `stage-${name}`)
      mkdirSync(root, { recursive: true })
      stages.push({ name, root, workdir: '/', env: {}, user: undefined, cmd: undefined, healthcheck: undefined })
      continue
    }
    if (stage === undefined) throw new Error(`${op} before FROM`)
    if (op === 'WORKDIR') {
      stage.workdir = args
      mkdirSync(inStage(stage, '.'), { recursive: true })
    } else if (op === 'ENV') {
      for (const [, key, value] of args.matchAll(/(\w+)=(\S+)/g)) stage.env[key!] = value!
    } else if (op === 'COPY') {
      const words = args.split(/\s+/)
      const from = words[0]?.startsWith('--from=') === true ? words.shift()!.slice('--from='.length) : undefined
      const destination = words.pop()!
      const source = from === undefined ? undefined : stages.find((s) => s.name === from)
      if (from !== undefined && source === undefined) throw new Error(`COPY --from=${from}: no such stage`)
      for (const item of words) {
        const src = source === undefined ? join(context, item) : inStage(source, item)
        const dst = destination.endsWith('/') ? join(inStage(stage, destination), basename(item)) : inStage(stage, destination)
        cpSync(src, dst, {
          recursive: true,
          filter: (path) => source !== undefined || !skip.has(relative(context, path).split('/')[0] ?? '')
        })
      }
    } else if (op === 'RUN') {
      execSync(args, { cwd: inStage(stage, '.'), env: { ...process.env, ...stage.env, ...extraEnv }, stdio: 'pipe' })
    } else if (op === 'USER') {
      stage.user = args
    } else if (op === 'CMD') {
      stage.cmd = JSON.parse(args) as string[]
    } else if (op === 'HEALTHCHECK') {
      const json = /CMD\s+(\[.*\])$/.exec(args)?.[1]
      if (json === undefined) throw new Error('HEALTHCHECK needs the exec form')
      stage.healthcheck = JSON.parse(json) as string[]
    } else if (op !== 'EXPOSE') {
      throw new Error(`unsupported instruction ${op}`)
    }
  }
  return stages
}
