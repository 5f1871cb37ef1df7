/** Contracts of the account administration routes under `/api/v1/users`. */
import { Type, type Static } from '@sinclair/typebox'
import { User } from './user.js'
import { RoleName } from './role.js'

export const DEFAULT_PAGE_SIZE = 20

export const ListUsersQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: DEFAULT_PAGE_SIZE })),
  cursor: Type.Optional(Type.String({
    minLength: 1,
    maxLength: 200,
    pattern: '^[A-Za-z0-9_-]+$',
    description: '`next_cursor` of the previous page'
  })),
  q: Type.Optional(Type.String({
    minLength: 1,
    maxLength: 254,
    description: 'Case-insensitive prefix of the email or the username'
  }))
}, { additionalProperties: false })
export type ListUsersQuery = Static<typeof ListUsersQuery>

export const UserPage = Type.Object({
  items: Type.Array(Type.Ref(User)),
  next_cursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as `cursor` for the next page; null on the last page' })
})

export const UpdateUserBody = Type.Object({
  is_active: Type.Optional(Type.Boolean({ description: '`false` ends every session of the user at once; `true` lets them log in again' })),
  roles: Type.Optional(Type.Array(RoleName, {
    uniqueItems: true,
    maxItems: 32,
    description: 'Replaces the whole set; takes effect at the user\'s next refresh'
  })),
  email_verified: Type.Optional(Type.Boolean({ description: 'Marks the email verified (or not) without a mail; audited' }))
}, { additionalProperties: false, minProperties: 1 })
export type UpdateUserBody = Static<typeof UpdateUserBody>
