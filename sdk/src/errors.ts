/** The service's RFC 9457 problems as typed errors: SDK users switch on `code`. */

export interface Problem {
  type?: string
  title?: string
  status: number
  detail?: string
  code: string
  errors?: Array<{ path: string, message: string }>
  [member: string]: unknown
}

export class AuthError extends Error {
  readonly status: number
  /** The problem's stable `code` (`invalid_credentials`, `rate_limited`…), or `network_error`. */
  readonly code: string
  readonly problem: Problem | undefined

  constructor (status: number, code: string, message: string, problem?: Problem) {
    super(message)
    this.name = 'AuthError'
    this.status = status
    this.code = code
    this.problem = problem
  }
}

/** The error a failed answer stands for, whether or not its body is a problem. */
export async function errorOf (response: Response): Promise<AuthError> {
  let body: unknown
  try { body = await response.json() } catch { body = undefined }
  if (typeof body === 'object' && body !== null && typeof (body as Problem).code === 'string') {
    const problem = body as Problem
    return new AuthError(response.status, problem.code, problem.detail ?? problem.title ?? problem.code, problem)
  }
  return new AuthError(response.status, `http_${response.status}`, `The service answered ${response.status}.`)
}
