/** The public view of an account: never a hash, never a token. */
import { Type, type Static } from '@sinclair/typebox'
import { Email, Timestamp, Username, Uuid } from './common.js'

export const User = Type.Object({
  id: Uuid,
  email: Email,
  username: Username,
  roles: Type.Array(Type.String()),
  is_active: Type.Boolean(),
  email_verified: Type.Boolean({ description: 'The owner proved the address with the link or code of a `verify-email` mail (or an admin marked it)' }),
  pending_email: Type.Union([Email, Type.Null()], { description: 'An address the owner asked to change to; it becomes `email` once verified' }),
  created_at: Timestamp,
  updated_at: Timestamp
}, { $id: 'User' })
export type User = Static<typeof User>

export const UpdateMeBody = Type.Object({
  email: Type.Optional(Email),
  username: Type.Optional(Username),
  current_password: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: 'Required when `email` changes; checked whenever given' }))
}, { additionalProperties: false })
export type UpdateMeBody = Static<typeof UpdateMeBody>

export const DeleteMeBody = Type.Object({
  password: Type.String({ minLength: 1, maxLength: 512, description: 'The current password, to confirm' })
}, { additionalProperties: false })
export type DeleteMeBody = Static<typeof DeleteMeBody>

export const ActiveSession = Type.Object({
  id: Uuid,
  created_at: Timestamp,
  last_used_at: Timestamp,
  expires_at: Timestamp,
  user_agent: Type.Union([Type.String(), Type.Null()]),
  ip: Type.Union([Type.String(), Type.Null()]),
  current: Type.Boolean({ description: 'The session of the access token of this request' })
}, { description: 'A session (one login): its refresh tokens rotate within it' })
export type ActiveSession = Static<typeof ActiveSession>
