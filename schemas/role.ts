/** Roles and the permissions they grant. */
import { Type, type Static } from '@sinclair/typebox'
import { GRANTABLE_PERMISSIONS } from '../src/services/roles.js'

export const RoleName = Type.String({
  pattern: '^[a-z][a-z0-9_-]{1,31}$',
  description: '2-32 of a-z 0-9 _ -, starting with a letter',
  examples: ['support']
})

export const PermissionName = Type.Union(GRANTABLE_PERMISSIONS.map((p) => Type.Literal(p)), {
  description: '`resource:action`; `resource:*` grants every action on the resource, `*` everything'
})

export const Role = Type.Object({
  name: RoleName,
  description: Type.String(),
  permissions: Type.Array(Type.String()),
  built_in: Type.Boolean({ description: 'Built-in roles (`user`, `admin`) cannot be deleted' })
}, { $id: 'Role' })
export type Role = Static<typeof Role>

export const CreateRoleBody = Type.Object({
  name: RoleName,
  description: Type.Optional(Type.String({ maxLength: 200 })),
  permissions: Type.Array(PermissionName, { maxItems: GRANTABLE_PERMISSIONS.length, uniqueItems: true })
}, { additionalProperties: false })
export type CreateRoleBody = Static<typeof CreateRoleBody>

export const RoleParams = Type.Object({ name: RoleName }, { additionalProperties: false })

export const DeleteRoleQuery = Type.Object({
  force: Type.Optional(Type.Boolean({
    default: false,
    description: 'Delete even if accounts hold the role, taking it away from them'
  }))
}, { additionalProperties: false })
