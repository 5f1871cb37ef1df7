/** Small TypeBox building blocks shared by the HTTP contracts. */
import { Type, type SchemaOptions } from '@sinclair/typebox'

/** A string enum as one `{ type: string, enum }` schema, which SDK generators turn into a real enum (a Union of Literals becomes anyOf). */
export function StringEnum<T extends string[]> (values: [...T], options: SchemaOptions = {}) {
  return Type.Unsafe<T[number]>({ ...options, type: 'string', enum: values })
}

export const Uuid = Type.String({ format: 'uuid', description: 'UUID' })
/** Serialized from a Date by the response serializer; typed as the Date the services hand over. */
export const Timestamp = Type.Unsafe<Date>(Type.String({ format: 'date-time', description: 'ISO 8601, UTC' }))
export const Email = Type.String({ format: 'email', minLength: 3, maxLength: 254, description: 'Stored in lower case', examples: ['ada@example.com'] })
export const Username = Type.String({ pattern: '^[A-Za-z0-9_.-]{3,32}$', description: '3-32 of A-Z a-z 0-9 _ . -, unique case-insensitively', examples: ['ada'] })
/** The policy (length after NFKC, common passwords) is checked by the service; this only bounds the input. */
export const Password = Type.String({ minLength: 1, maxLength: 512, description: '8-128 characters after Unicode NFKC normalization' })
export const OpaqueToken = Type.String({ minLength: 1, maxLength: 512 })

export const IdParams = Type.Object({ id: Uuid }, { additionalProperties: false })
