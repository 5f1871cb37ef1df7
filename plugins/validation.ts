/**
 * Schema validation: bodies are validated strictly (no type coercion, unknown fields rejected),
 * while params and query strings, which only ever arrive as text, are coerced.
 */
import fp from 'fastify-plugin'
import { Ajv, type Options } from 'ajv'
import addFormatsModule from 'ajv-formats'

// ajv-formats is CommonJS with a default export; under NodeNext the callable sits on `.default`.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default

const shared: Options = { removeAdditional: false, useDefaults: true, allErrors: false, strict: false, addUsedSchema: false }

export default fp(async (app) => {
  const strict = addFormats(new Ajv({ ...shared, coerceTypes: false }))
  const coercing = addFormats(new Ajv({ ...shared, coerceTypes: 'array' }))
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? strict : coercing).compile(schema))
}, { name: 'validation' })
