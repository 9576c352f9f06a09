import { useState } from 'react'

import { Panel } from '@/components/panel'
import { Empty, QueryState } from '@/components/query-state'

import { useAccessChanges, type ChangeQuery } from '../api/access-changes'
import { ChangesTable } from './changes-table'

const limit = 25

/**
 * The access changes of one identity or one resource, newest first, with older pages on demand (the cursor of
 * each page is kept, so "Newer" goes back).
 */
export function AccessTimeline({ title, filter }: { title: string; filter: Omit<ChangeQuery, 'limit' | 'cursor'> }) {
  const [cursors, setCursors] = useState<string[]>([])
  const cursor = cursors[cursors.length - 1]
  const changes = useAccessChanges({ ...filter, limit, ...(cursor ? { cursor } : {}) })
  return (
    <Panel title={title}>
      <QueryState what="the access history" query={changes}>
        {(p) =>
          p.items.length === 0 ? (
            <Empty>No access changes recorded.</Empty>
          ) : (
            <>
              <ChangesTable changes={p.items} caption={title} />
              <nav className="pager" aria-label={`${title} pages`}>
                <button type="button" className="button" disabled={cursors.length === 0} onClick={() => setCursors(cursors.slice(0, -1))}>
                  Newer
                </button>
                <button type="button" className="button" disabled={!p.next_cursor} onClick={() => p.next_cursor && setCursors([...cursors, p.next_cursor])}>
                  Older
                </button>
              </nav>
            </>
          )
        }
      </QueryState>
    </Panel>
  )
}
