/**
 * Schema validation: bodies are validated strictly (no type coercion, unknown fields rejected),
 * while params and query strings, which only ever arrive as text, are coerced. Before any schema,
 * every string of the params, query and body is checked for NUL and unpaired surrogates, on every
 * route, so no route can forget it.
 */
import fp from 'fastify-plugin'
import { Ajv, type Options } from 'ajv'
import addFormatsModule from 'ajv-formats'
import { errors } from '../src/errors.js'
import { findUnsafeText } from '../src/safe-text.js'

// ajv-formats is CommonJS with a default export; under NodeNext the callable sits on `.default`.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default

const shared: Options = { removeAdditional: false, useDefaults: true, allErrors: false, strict: false, addUsedSchema: false }

export default fp(async (app) => {
  const strict = addFormats(new Ajv({ ...shared, coerceTypes: false }))
  const coercing = addFormats(new Ajv({ ...shared, coerceTypes: 'array' }))
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? strict : coercing).compile(schema))

  app.addHook('preValidation', async (request) => {
    for (const [part, value, prefix] of [['params', request.params, 'params'], ['querystring', request.query, 'querystring'], ['body', request.body, '']] as const) {
      const path = findUnsafeText(value)
      if (path !== undefined) {
        throw errors.validation(`The request ${part} holds a NUL character or an unpaired surrogate.`,
          [{ path: `${prefix}${path}`, message: 'must not contain NUL or unpaired surrogates' }])
      }
    }
  })
}, { name: 'validation' })
