import { useQueries } from '@tanstack/react-query'

import { listFindings, severities, type Severity } from './list-findings'

/** Open findings per severity: one one-row page per severity, read for its total. */
export function useOpenFindingCounts(): { severity: Severity; count: number | undefined }[] {
  const results = useQueries({
    queries: severities.map((severity) => ({
      queryKey: ['findings', 'open-count', severity],
      queryFn: ({ signal }: { signal: AbortSignal }) => listFindings({ status: 'open', severity, limit: 1, offset: 0 }, signal),
    })),
  })
  return severities.map((severity, i) => ({ severity, count: results[i]?.data?.total }))
}
