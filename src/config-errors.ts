import type { TObject } from '@sinclair/typebox'

/** Configuration problems as one readable line per setting, instead of an ajv error dump. */

export class ConfigError extends Error {
  constructor (readonly problems: string[]) {
    super(problems.join('\n'))
    this.name = 'ConfigError'
  }
}

interface SchemaIssue {
  instancePath?: string
  keyword?: string
  message?: string
  params?: Record<string, unknown>
}

interface EnumSchema {
  anyOf?: Array<{ const?: unknown }>
}

// URLs carry passwords and keys are keys: their values never reach the terminal or a log collector.
const SECRET_BEARING = /URL|SECRET|KEY|PASSWORD/

/** One line per offending setting; an enum names its allowed values. */
export function describeSchemaIssues (issues: SchemaIssue[], schema: TObject, env: Record<string, unknown>): string[] {
  const byKey = new Map<string, SchemaIssue[]>()
  for (const issue of issues) {
    const key = (issue.instancePath ?? '').replace(/^\//, '') || String(issue.params?.missingProperty ?? 'configuration')
    byKey.set(key, [...byKey.get(key) ?? [], issue])
  }
  return [...byKey].map(([key, keyIssues]) => {
    const choices = (schema.properties[key] as EnumSchema | undefined)?.anyOf?.map((s) => s.const).filter((c) => c !== undefined)
    const shown = key in env && !SECRET_BEARING.test(key) ? `${key}=${JSON.stringify(String(env[key]))}` : key
    if (choices !== undefined && choices.length > 0) return `${shown} is not valid: use one of ${choices.join(', ')}`
    const reason = keyIssues.find((i) => i.keyword !== 'anyOf')?.message ?? 'is not valid'
    return `${shown} is not valid: ${reason}`
  })
}
