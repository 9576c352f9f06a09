import { useEffect, useRef, useState, type MouseEvent } from 'react'

import type { RuleResult } from '../api/get-posture'
import { useRemoveAttestation } from '../api/remove-attestation'
import { useRemoveRuleOverride } from '../api/remove-rule-override'
import { useSetRuleOverride } from '../api/set-rule-override'
import { AttestForm } from './attest-form'
import { ControlDialog } from './control-dialog'
import { ParamsForm } from './params-form'

/**
 * An admin's controls of one rule in one scope: attest it (or remove the attestation), disable or enable it, and
 * edit its parameters. Forms open in a modal dialog; closing it returns focus to the button that opened it.
 */
export function RuleActions({ result: r, scope }: { result: RuleResult; scope: string }) {
  const target = { scope, ruleset: r.ruleset_key, rule: r.rule_key }
  const [open, setOpen] = useState<'attest' | 'params' | null>(null)
  const opener = useRef<HTMLButtonElement | null>(null)
  useEffect(() => {
    if (open === null && opener.current) {
      opener.current.focus()
      opener.current = null
    }
  }, [open])
  const show = (which: 'attest' | 'params') => (e: MouseEvent<HTMLButtonElement>) => {
    opener.current = e.currentTarget
    setOpen(which)
  }
  const close = () => setOpen(null)

  const removeAttestation = useRemoveAttestation(target)
  const setOverride = useSetRuleOverride(target)
  const removeOverride = useRemoveRuleOverride(target)
  const mutations = [removeAttestation, setOverride, removeOverride]
  const busy = mutations.some((m) => m.isPending)
  const error = mutations.find((m) => m.error)?.error
  const run = (f: () => void) => {
    for (const m of mutations) m.reset()
    f()
  }
  const disabled = r.override?.enabled === false
  const params = r.override?.params
  const toggle = () =>
    run(() => {
      if (!disabled) setOverride.mutate(params ? { enabled: false, params } : { enabled: false })
      else if (params && Object.keys(params).length > 0) setOverride.mutate({ enabled: true, params })
      else removeOverride.mutate()
    })

  return (
    <div className="actions">
      <button type="button" className="button small" onClick={show('attest')}>Attest</button>
      {r.attestation && (
        <button type="button" className="button small" disabled={busy} onClick={() => run(() => removeAttestation.mutate())}>
          Remove attestation
        </button>
      )}
      <button type="button" className="button small" disabled={busy} onClick={toggle}>{disabled ? 'Enable rule' : 'Disable rule'}</button>
      {r.parameters && <button type="button" className="button small" onClick={show('params')}>Parameters</button>}
      {open === 'attest' && (
        <ControlDialog title={`Attest ${r.rule_key}`} onClose={close}>
          <AttestForm target={target} current={r.attestation} onDone={close} />
        </ControlDialog>
      )}
      {open === 'params' && r.parameters && (
        <ControlDialog title={`Parameters of ${r.rule_key}`} onClose={close}>
          <ParamsForm target={target} parameters={r.parameters} override={r.override} onDone={close} />
        </ControlDialog>
      )}
      {error && <div role="alert" className="alert">{error.message}</div>}
    </div>
  )
}
