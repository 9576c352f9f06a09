import { useRemoveRulesetOverride } from '../api/remove-ruleset-override'
import { useSetRulesetOverride } from '../api/set-ruleset-override'

/** An admin's switch of a whole ruleset in one scope: disabled, every rule is not applicable (ruleset_disabled). */
export function RulesetActions({ rulesetKey, scope, disabled }: { rulesetKey: string; scope: string; disabled: boolean }) {
  const target = { scope, ruleset: rulesetKey }
  const disable = useSetRulesetOverride(target)
  const enable = useRemoveRulesetOverride(target)
  const busy = disable.isPending || enable.isPending
  const error = disable.error ?? enable.error
  return (
    <>
      {disabled ? (
        <button type="button" className="button small" disabled={busy} onClick={() => { disable.reset(); enable.mutate() }}>Enable ruleset</button>
      ) : (
        <button type="button" className="button small" disabled={busy} onClick={() => { enable.reset(); disable.mutate({ enabled: false }) }}>
          Disable ruleset
        </button>
      )}
      {error && <div role="alert" className="alert">{error.message}</div>}
    </>
  )
}
