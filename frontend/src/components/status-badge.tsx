import type { ReactNode } from 'react'

export type Tone = 'good' | 'bad' | 'neutral'

/** A short coloured label for a state ("ok", "unavailable"). The text carries the meaning; colour only repeats it. */
export function StatusBadge({ tone, children }: { tone: Tone; children: ReactNode }) {
  return <span className={`badge badge-${tone}`}>{children}</span>
}
