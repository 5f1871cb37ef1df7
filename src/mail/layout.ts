/**
 * The HTML frame of the default mails: one centred card built from tables with inline styles,
 * because that is what mail clients (Outlook, Gmail, Apple Mail) render alike; no images, no scripts.
 * The pieces keep their `{{placeholders}}`, which rendering fills and escapes.
 */

const FONT = "-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif"
const TEXT = 'color:#1f2933;font-size:16px;line-height:24px'

export function paragraph (html: string): string {
  return `<p style="margin:0 0 16px;${TEXT}">${html}</p>`
}

export function muted (html: string): string {
  return `<p style="margin:0 0 12px;color:#616e7c;font-size:13px;line-height:20px">${html}</p>`
}

export function button (href: string, label: string): string {
  return '<table role="presentation" cellpadding="0" cellspacing="0" border="0" style="margin:8px 0 24px"><tr>' +
    '<td style="border-radius:6px;background:#2457d6">' +
    `<a href="${href}" style="display:inline-block;padding:12px 24px;font-family:${FONT};font-size:16px;font-weight:600;color:#ffffff;text-decoration:none;border-radius:6px">${label}</a>` +
    '</td></tr></table>'
}

export function codeBox (code: string): string {
  return '<table role="presentation" cellpadding="0" cellspacing="0" border="0" style="margin:8px 0 24px"><tr>' +
    '<td style="padding:12px 20px;border-radius:6px;background:#f0f4f8;border:1px solid #d9e2ec">' +
    `<span style="font-family:'SFMono-Regular',Menlo,Consolas,monospace;font-size:28px;font-weight:700;letter-spacing:6px;color:#102a43">${code}</span>` +
    '</td></tr></table>'
}

/** Label / value rows, as security notices list when, where from and on what. */
export function details (rows: Array<[string, string]>): string {
  const cells = rows.map(([label, value]) =>
    `<tr><td style="padding:4px 16px 4px 0;color:#616e7c;font-size:14px;vertical-align:top;white-space:nowrap">${label}</td>` +
    `<td style="padding:4px 0;color:#1f2933;font-size:14px;word-break:break-word">${value}</td></tr>`).join('')
  return `<table role="presentation" cellpadding="0" cellspacing="0" border="0" style="margin:0 0 20px;font-family:${FONT}">${cells}</table>`
}

export interface LayoutParts {
  title: string
  /** The line a mail client shows beside the subject in the inbox. */
  preheader: string
  heading: string
  body: string
}

export function layout ({ title, preheader, heading, body }: LayoutParts): string {
  return '<!DOCTYPE html>\n' +
    '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">' +
    `<meta name="color-scheme" content="light"><title>${title}</title></head>\n` +
    `<body style="margin:0;padding:0;background:#f5f7fa;font-family:${FONT}">\n` +
    `<div style="display:none;max-height:0;overflow:hidden;opacity:0">${preheader}</div>\n` +
    '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background:#f5f7fa"><tr><td align="center" style="padding:32px 12px">\n' +
    '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="max-width:560px">\n' +
    '<tr><td style="padding:0 8px 16px;font-size:18px;font-weight:700;color:#102a43">{{app_name}}</td></tr>\n' +
    '<tr><td style="background:#ffffff;border-radius:8px;border:1px solid #e4e7eb;padding:32px">\n' +
    `<h1 style="margin:0 0 20px;font-size:22px;line-height:30px;color:#102a43;font-weight:700">${heading}</h1>\n` +
    `${body}\n` +
    '</td></tr>\n' +
    '<tr><td style="padding:16px 8px;color:#9aa5b1;font-size:12px;line-height:18px">' +
    'This message was sent to {{email}} by {{app_name}} (<a href="{{app_url}}" style="color:#9aa5b1">{{app_url}}</a>). ' +
    'It is about the security of your account, so it is sent even if you opted out of other mail.' +
    '</td></tr>\n' +
    '</table>\n</td></tr></table>\n</body></html>\n'
}
