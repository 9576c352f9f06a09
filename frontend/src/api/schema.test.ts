// @vitest-environment node
import openapiTS, { type OpenAPI3 } from 'openapi-typescript'
import { describe, expect, it } from 'vitest'

import doc from './openapi.json'
import schema from './schema.d.ts?raw'

// openapi.json is checked against the Go code by internal/api's TestOpenAPIDocumentIsCurrent; this checks that the
// types were generated from it. Both are refreshed by `npm run gen:api`.
describe('schema.d.ts', () => {
  it('is generated from openapi.json (npm run gen:api)', async () => {
    await expect(openapiTS(doc as unknown as OpenAPI3)).resolves.toBe(schema)
  })
})
