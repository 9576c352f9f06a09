import { useMutation } from '@tanstack/react-query'

import type { components } from '@/api/schema'
import { request } from '@/lib/api'

import type { ConnectorCreate } from './create-connector'

export type TestResult = components['schemas']['TestResult']
export type TestInput = components['schemas']['TestInput']

/** testConnector tries a saved connector, with the settings given instead of the saved ones. */
export function testConnector(id: string, body: TestInput) {
  return request('post', '/api/connectors/{id}/test', { path: { id }, body })
}

/** testNewConnector tries settings that are not saved yet. */
export function testNewConnector(body: ConnectorCreate) {
  return request('post', '/api/connector-tests', { body })
}

export function useTestConnector(id: string | undefined) {
  return useMutation({
    mutationFn: (body: ConnectorCreate): Promise<TestResult> =>
      id === undefined
        ? testNewConnector(body)
        : testConnector(id, body.secret ? { config: body.config ?? {}, secret: body.secret } : { config: body.config ?? {} }),
  })
}
