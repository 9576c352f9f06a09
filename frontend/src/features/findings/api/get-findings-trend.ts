import { useQuery } from '@tanstack/react-query'

import type { components } from '@/api/schema'
import { request } from '@/lib/api'

export type FindingDay = components['schemas']['FindingDay']

export function useFindingsTrend(days = 30) {
  return useQuery({
    queryKey: ['findings', 'trend', days],
    queryFn: ({ signal }) => request('get', '/api/findings-trend', { query: { days }, signal }),
  })
}
