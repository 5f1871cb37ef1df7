import neostandard from 'neostandard'

export default [
  ...neostandard({
    ts: true,
    ignores: ['dist/**', 'coverage/**', '.tap/**', 'data/**', 'sdk/dist/**', 'sdk/src/schema.ts']
  }),
  {
    // A TypeBox schema and its Static type share one name on purpose (STYLE.md).
    files: ['schemas/**/*.ts'],
    rules: { '@typescript-eslint/no-redeclare': 'off' }
  }
]
