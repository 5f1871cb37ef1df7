/** `{{name}}` placeholders: filled verbatim in subjects and text, HTML-escaped in HTML. */

const PLACEHOLDER = /\{\{\s*([a-z_]+)\s*\}\}/g

export type TemplateValues = Record<string, string>

export interface MailTemplate {
  subject: string
  text: string
  html: string
}

export interface RenderedMail {
  subject: string
  text: string
  html: string
}

export function escapeHtml (text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

function fill (template: string, values: TemplateValues, encode: (value: string) => string): string {
  return template.replace(PLACEHOLDER, (_match, name: string) => encode(values[name] ?? ''))
}

/** Subjects are one line whatever a value holds. */
const oneLine = (value: string): string => value.replace(/[\r\n]+/g, ' ')

export function renderTemplate (template: MailTemplate, values: TemplateValues): RenderedMail {
  return {
    subject: oneLine(fill(template.subject, values, oneLine)).trim(),
    text: fill(template.text, values, (v) => v),
    html: fill(template.html, values, escapeHtml)
  }
}

/** The placeholder names a template uses, so a misspelt one is caught at start-up rather than mailed out empty. */
export function placeholdersOf (template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1] as string)
}
