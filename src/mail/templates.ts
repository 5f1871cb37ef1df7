/**
 * The templates in use: the defaults, with any part replaced by a file of `MAIL_TEMPLATES_DIR`
 * named `<kind>.subject.txt`, `<kind>.txt` or `<kind>.html`. Read and checked once at start-up,
 * so a misspelt placeholder stops the service instead of mailing a hole.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { DEFAULT_TEMPLATES } from './default-templates.js'
import { COMMON_VARIABLES, MAIL_KINDS, TEMPLATE_VARIABLES, type MailKind } from './kinds.js'
import { placeholdersOf, type MailTemplate } from './render.js'

export type MailTemplates = Record<MailKind, MailTemplate>

const PART_FILES = { subject: '.subject.txt', text: '.txt', html: '.html' } as const satisfies Record<keyof MailTemplate, string>

export interface TemplateNotices {
  warn: (message: string) => void
}

/** The names of the parts a file may replace, longest suffix first so `x.subject.txt` is not taken for `x.txt`. */
function partOf (file: string): { kind: string, part: keyof MailTemplate } | undefined {
  for (const part of ['subject', 'html', 'text'] as const) {
    const suffix = PART_FILES[part]
    if (file.endsWith(suffix)) return { kind: file.slice(0, -suffix.length), part }
  }
  return undefined
}

const isKind = (name: string): name is MailKind => (MAIL_KINDS as readonly string[]).includes(name)

export function checkTemplate (kind: MailKind, template: MailTemplate, source: (part: keyof MailTemplate) => string): void {
  const allowed = new Set<string>([...COMMON_VARIABLES, ...TEMPLATE_VARIABLES[kind]])
  for (const part of ['subject', 'text', 'html'] as const) {
    const unknown = placeholdersOf(template[part]).filter((name) => !allowed.has(name))
    if (unknown.length > 0) {
      throw new Error(`${source(part)}: unknown placeholder ${unknown.map((n) => `{{${n}}}`).join(', ')}; ` +
        `${kind} mails know ${[...allowed].map((n) => `{{${n}}}`).join(', ')}`)
    }
  }
}

export function loadMailTemplates (dir: string | undefined, notices: TemplateNotices): MailTemplates {
  const templates: MailTemplates = { ...DEFAULT_TEMPLATES }
  const sources = new Map<string, string>()
  if (dir !== undefined) {
    for (const file of readdirSync(dir).sort()) {
      const found = partOf(file)
      if (found === undefined || !isKind(found.kind)) {
        notices.warn(`MAIL_TEMPLATES_DIR: ${file} names no mail kind and part (<kind>.subject.txt, <kind>.txt, <kind>.html); ignored`)
        continue
      }
      const content = readFileSync(join(dir, file), 'utf8')
      templates[found.kind] = { ...templates[found.kind], [found.part]: content }
      sources.set(`${found.kind}/${found.part}`, join(dir, file))
    }
  }
  for (const kind of MAIL_KINDS) {
    checkTemplate(kind, templates[kind], (part) => sources.get(`${kind}/${part}`) ?? `the default ${kind} ${part}`)
  }
  return templates
}
