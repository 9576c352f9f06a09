import { useQuery } from '@tanstack/react-query'

import { request } from '@/lib/api'

export function getFinding(id: number, signal?: AbortSignal) {
  return request('get', '/api/findings/{id}', { path: { id }, signal })
}

export function useFinding(id: number) {
  return useQuery({ queryKey: ['findings', 'detail', id], queryFn: ({ signal }) => getFinding(id, signal) })
}
