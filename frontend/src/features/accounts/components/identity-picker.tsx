import { useQuery } from '@tanstack/react-query'
import { useDeferredValue, useId, useState } from 'react'

import { identitiesQueryOptions } from '@/features/identities/api/list-identities'

import { useIdentitySuggestions } from '../api/suggest-identities'

const suggestionReasons: Record<string, string> = {
  same_name: 'same name',
  email_local_part: 'same email name',
  known_alias: 'known alias',
}

/** The fewest characters a search needs before it asks the server. */
const minSearch = 2

/**
 * Picks the identity to link an account to: the server's suggestions for the account first, then a search of
 * identities by name or email (server-side). Each candidate is a button "Link {who} to {name}".
 */
export function IdentityPicker({
  connectorId,
  externalId,
  who,
  pending,
  onPick,
}: {
  connectorId: string
  externalId: string
  who: string
  pending: boolean
  onPick: (identityId: number) => void
}) {
  const inputId = useId()
  const [text, setText] = useState('')
  const q = useDeferredValue(text.trim())
  const suggestions = useIdentitySuggestions(connectorId, externalId)
  const searching = q.length >= minSearch
  const found = useQuery({ ...identitiesQueryOptions({ q, limit: 8, sort: 'display_name' }), enabled: searching })
  const results = searching ? (found.data?.items ?? []) : []
  const pick = (id: number, name: string, email: string, note?: string) => (
    <li key={id}>
      <button type="button" className="button small" disabled={pending} onClick={() => onPick(id)}>
        <span className="visually-hidden">Link {who} to </span>
        {name || email || `#${id}`}
      </button>
      {email && name && <span className="muted small"> {email}</span>}
      {note && <span className="muted small"> ({note})</span>}
    </li>
  )
  return (
    <div className="identity-picker">
      {suggestions.data && suggestions.data.length > 0 && (
        <ul className="picker-list" aria-label={`Suggested identities for ${who}`}>
          {suggestions.data.map((s) =>
            pick(s.id, s.display_name, s.primary_email, s.reasons.map((r) => suggestionReasons[r] ?? r).join(', ')),
          )}
        </ul>
      )}
      <label className="visually-hidden" htmlFor={inputId}>Find the identity to link {who} to</label>
      <input id={inputId} type="search" placeholder="Find identity by name or email" value={text} autoComplete="off"
        onChange={(e) => setText(e.target.value)} />
      {searching && found.isSuccess && results.length === 0 && <p className="muted small">No identity matches “{q}”.</p>}
      {results.length > 0 && (
        <ul className="picker-list" aria-label={`Identities matching ${q}`}>
          {results.map((i) => pick(i.id, i.display_name, i.primary_email))}
        </ul>
      )}
    </div>
  )
}
