import { render, screen } from '@testing-library/react'
import { describe, expect, it } from 'vitest'

import { EvidenceTable } from './evidence-table'

describe('EvidenceTable', () => {
  it('renders the evidence as a table of its fields, lists of objects as rows, and the raw JSON behind a toggle', () => {
    const evidence = {
      summary: '2 of 5 apps lack MFA',
      affected_count: 2,
      affected_resources: [
        { id: '0oa1', display: 'Asana' },
        { id: '0oa2', display: 'Notion' },
      ],
    }
    const { container } = render(<EvidenceTable evidence={evidence} />)
    const fields = screen.getByRole('table', { name: 'Evidence fields' })
    expect(fields.textContent).toContain('summary2 of 5 apps lack MFA')
    expect(fields.textContent).toContain('affected count2')
    const rows = fields.querySelectorAll('table.evidence-rows tbody tr')
    expect(rows).toHaveLength(2)
    expect(rows[1]!.textContent).toBe('0oa2Notion')
    const raw = container.querySelector('details')
    expect(raw?.open).toBe(false)
    expect(raw?.querySelector('summary')?.textContent).toBe('Raw JSON')
    expect(raw?.querySelector('pre')?.textContent).toContain('"affected_count": 2')
  })
})
