import type { ReactNode } from 'react'

export interface Column<T> {
  /** A stable key for the column. */
  key: string
  header: string
  /** The API's sort key, when the server can sort by this column. */
  sort?: string
  cell: (row: T) => ReactNode
}

interface DataTableProps<T> {
  caption: string
  columns: Column<T>[]
  rows: T[]
  rowKey: (row: T) => string | number
  /** The current sort, e.g. "name" or "-name". */
  sort?: string | undefined
  onSortChange?: (sort: string) => void
}

/** A table of one page of server rows; clicking a sortable header asks for a new sort. */
export function DataTable<T>({ caption, columns, rows, rowKey, sort, onSortChange }: DataTableProps<T>) {
  return (
    <div className="table-wrap">
      <table className="data-table">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <HeaderCell key={c.key} column={c} sort={sort} onSortChange={onSortChange} />
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={rowKey(r)}>
              {columns.map((c) => (
                <td key={c.key}>{c.cell(r)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

function HeaderCell<T>({
  column,
  sort,
  onSortChange,
}: {
  column: Column<T>
  sort: string | undefined
  onSortChange: ((sort: string) => void) | undefined
}) {
  if (!column.sort || !onSortChange) return <th scope="col">{column.header}</th>
  const key = column.sort
  const direction = sort === key ? 'ascending' : sort === `-${key}` ? 'descending' : 'none'
  const next = direction === 'ascending' ? `-${key}` : key
  return (
    <th scope="col" aria-sort={direction}>
      <button type="button" className="sort-button" onClick={() => onSortChange(next)}>
        {column.header}
        <span aria-hidden="true">{direction === 'ascending' ? ' ▲' : direction === 'descending' ? ' ▼' : ''}</span>
      </button>
    </th>
  )
}

/** "1–50 of 230" with previous and next buttons. */
export function Pager({
  total,
  limit,
  offset,
  onPage,
}: {
  total: number
  limit: number
  offset: number
  onPage: (page: number) => void
}) {
  const page = Math.floor(offset / limit) + 1
  const pages = Math.max(1, Math.ceil(total / limit))
  const from = total === 0 ? 0 : offset + 1
  const to = Math.min(offset + limit, total)
  return (
    <nav className="pager" aria-label="Pages">
      <span className="muted">
        {from}–{to} of {total}
      </span>
      <button type="button" className="button" disabled={page <= 1} onClick={() => onPage(page - 1)}>
        Previous
      </button>
      <span>
        Page {page} of {pages}
      </span>
      <button type="button" className="button" disabled={page >= pages} onClick={() => onPage(page + 1)}>
        Next
      </button>
    </nav>
  )
}
