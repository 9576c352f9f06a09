import { render, screen } from '@testing-library/react'
import { describe, expect, it } from 'vitest'

import type { RuleResult } from '../api/get-posture'
import { RulesTable } from './rules-table'

const result = (key: string, status: RuleResult['status']) =>
  ({ rule_key: key, title: key, status, severity: 'high', manual: false, evaluated_at: '2026-01-01T10:00:00Z' }) as RuleResult

describe('RulesTable', () => {
  it('groups rules by status, failing first, and collapses the passing ones under their count', () => {
    const { container } = render(
      <RulesTable
        rulesetKey="okta.cis"
        scope="connector_instance:okta:okta-1"
        canEdit={false}
        results={[result('R-1', 'pass'), result('R-2', 'unknown'), result('R-3', 'fail'), result('R-4', 'pass'), result('R-5', 'error')]}
      />,
    )
    const open = screen.getByRole('table', { name: 'Rules of okta.cis' })
    expect([...open.querySelectorAll('tbody tr')].map((r) => r.querySelector('code')?.textContent)).toEqual(['R-3', 'R-5', 'R-2'])
    const passing = container.querySelector<HTMLDetailsElement>('details.passing-rules')
    expect(passing?.open).toBe(false)
    expect(passing?.querySelector('summary')?.textContent).toBe('Passing rules (2)')
    expect(passing?.querySelectorAll('tbody tr')).toHaveLength(2)
  })
})
