/** A real SMTP server on the loopback interface for tests, and just enough MIME to read what it received. */
import type { AddressInfo } from 'node:net'
import { SMTPServer } from 'smtp-server'
import type { Test } from 'tap'

export interface ReceivedMail {
  from: string
  to: string[]
  raw: string
}

export interface TestSmtpServer {
  /** `smtp://127.0.0.1:<port>`, for SMTP_URL. */
  url: string
  received: ReceivedMail[]
  /** The next message not handed out yet, waiting for it to arrive. */
  next: (timeoutMs?: number) => Promise<ReceivedMail>
  /** Holds every message's final reply (so every sender's send) until the returned function is called. */
  hold: () => () => void
}

export async function startSmtpServer (t: Test): Promise<TestSmtpServer> {
  const received: ReceivedMail[] = []
  const waiting: Array<(mail: ReceivedMail) => void> = []
  let handedOut = 0
  let gate: Promise<void> = Promise.resolve()

  const server = new SMTPServer({
    // Plain SMTP on loopback: no certificate to trust, no credentials to give.
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    logger: false,
    onData (stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (chunk: Buffer) => chunks.push(chunk))
      stream.on('end', () => gate.then(() => {
        const from = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address
        received.push({ from, to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') })
        const waiter = waiting.shift()
        if (waiter !== undefined) {
          handedOut += 1
          waiter(received[handedOut - 1] as ReceivedMail)
        }
        callback()
      }))
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const { port } = server.server.address() as AddressInfo

  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    hold () {
      let release = () => {}
      gate = new Promise((resolve) => { release = resolve })
      return () => {
        gate = Promise.resolve()
        release()
      }
    },
    next (timeoutMs = 10_000) {
      const ready = received[handedOut]
      if (ready !== undefined) {
        handedOut += 1
        return Promise.resolve(ready)
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no mail arrived')), timeoutMs)
        waiting.push((mail) => {
          clearTimeout(timer)
          resolve(mail)
        })
      })
    }
  }
}

export interface ParsedMail {
  headers: Map<string, string>
  /** Decoded bodies by content type: text/plain, text/html. */
  parts: Map<string, string>
}

function splitHeaders (block: string): { headers: Map<string, string>, body: string } {
  const end = block.indexOf('\r\n\r\n')
  const head = end === -1 ? block : block.slice(0, end)
  const headers = new Map<string, string>()
  for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':')
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim())
  }
  return { headers, body: end === -1 ? '' : block.slice(end + 4) }
}

function decode (body: string, encoding: string | undefined): string {
  if (encoding?.toLowerCase() === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8')
  if (encoding?.toLowerCase() === 'quoted-printable') {
    const bytes = body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)))
    return Buffer.from(bytes, 'latin1').toString('utf8')
  }
  return body
}

/** Reads a single-part or a flat multipart message. */
export function parseMail (raw: string): ParsedMail {
  const { headers, body } = splitHeaders(raw)
  const parts = new Map<string, string>()
  const contentType = headers.get('content-type') ?? 'text/plain'
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1]
  if (boundary === undefined) {
    parts.set(contentType.split(';')[0]?.trim() ?? 'text/plain', decode(body, headers.get('content-transfer-encoding')))
    return { headers, parts }
  }
  for (const section of body.split(`--${boundary}`).slice(1)) {
    if (section.startsWith('--')) break
    const part = splitHeaders(section.replace(/^\r\n/, ''))
    const type = part.headers.get('content-type')?.split(';')[0]?.trim() ?? 'text/plain'
    parts.set(type, decode(part.body.replace(/\r\n$/, ''), part.headers.get('content-transfer-encoding')))
  }
  return { headers, parts }
}
