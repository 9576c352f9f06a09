import { useState, type FormEvent } from 'react'

import { Field } from '@/components/field'

import { useCreateConnector } from '../api/create-connector'
import type { Kind } from '../api/list-kinds'
import { connectorDocsUrl } from '../docs-link'
import type { Connector } from '../api/list-connectors'
import { useTestConnector } from '../api/test-connector'
import { useUpdateConnector } from '../api/update-connector'
import { SchemaFields, schemaDefaults } from './schema-fields'
import { SecretStatus } from './secret-status'
import { TestResultNote } from './test-result'

interface Draft {
  id: string
  name: string
  enabled: boolean
  discovery: boolean
  authoritative: boolean
  config: Record<string, unknown>
  /** A new secret typed in; never filled from the server. */
  secret: string
}

function initialDraft(kind: Kind, c: Connector | undefined): Draft {
  if (c) {
    return {
      id: c.id, name: c.name, enabled: c.enabled, discovery: c.discovery_enabled,
      authoritative: c.authoritative, config: c.config, secret: '',
    }
  }
  return {
    id: '', name: '', enabled: true, discovery: false, authoritative: kind.authoritative,
    config: schemaDefaults(kind.config_schema), secret: '',
  }
}

/**
 * The form for one connector of a kind: generated from the kind's config schema, with the scopes to grant and a
 * write-only secret. Without connector it creates one; with it, it edits it. readOnly shows it to viewers.
 */
export function ConnectorForm({
  kind,
  connector,
  readOnly,
  onSaved,
}: {
  kind: Kind
  connector?: Connector | undefined
  readOnly: boolean
  onSaved?: (c: Connector) => void
}) {
  const [draft, setDraft] = useState(() => initialDraft(kind, connector))
  const [saved, setSaved] = useState(false)
  const create = useCreateConnector()
  const update = useUpdateConnector(connector?.id ?? '')
  const test = useTestConnector(connector?.id)
  const patch = (p: Partial<Draft>) => {
    setSaved(false)
    setDraft((d) => ({ ...d, ...p }))
  }

  const body = () => ({
    kind: kind.kind, id: draft.id, name: draft.name, enabled: draft.enabled, discovery_enabled: draft.discovery,
    authoritative: draft.authoritative, config: draft.config, ...(draft.secret ? { secret: draft.secret } : {}),
  })

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    let c: Connector
    if (!connector) {
      c = await create.mutateAsync(body())
    } else {
      // A new secret goes with the settings in one request: moving the endpoint to another host needs it.
      c = await update.mutateAsync({
        name: draft.name, enabled: draft.enabled, discovery_enabled: draft.discovery,
        authoritative: draft.authoritative, config: draft.config, ...(draft.secret ? { secret: draft.secret } : {}),
      })
    }
    setDraft((d) => ({ ...d, secret: '' }))
    setSaved(true)
    onSaved?.(c)
  }
  const saveError = create.error ?? update.error
  const saving = create.isPending || update.isPending

  return (
    <form className="form" onSubmit={(e) => void submit(e).catch(() => undefined)} aria-label={`${kind.kind} connector`}>
      <p className="muted">
        How to create the read-only credential, register the webhook and troubleshoot a sync:{' '}
        <a href={connectorDocsUrl(kind.kind)} target="_blank" rel="noreferrer">{kind.kind} connector documentation</a>.
      </p>
      <fieldset disabled={readOnly}>
        <legend>Connector</legend>
        <Field label="ID" help="Lower-case letters, digits and dashes; part of the webhook URL. It cannot change.">
          {(a) => (
            <input {...a} required pattern="[a-z0-9][a-z0-9-]*" readOnly={!!connector} value={draft.id}
              onChange={(e) => patch({ id: e.target.value })} />
          )}
        </Field>
        <Field label="Name">
          {(a) => <input {...a} required value={draft.name} onChange={(e) => patch({ name: e.target.value })} />}
        </Field>
        <Check label="Enabled" help="Disabled connectors are not synced." checked={draft.enabled} onChange={(v) => patch({ enabled: v })} />
        <Check label="Discovery" help="Also run discovery syncs (SaaS apps found through SSO and OAuth grants)."
          checked={draft.discovery} onChange={(v) => patch({ discovery: v })} />
        <Check label="Authoritative" help="Its accounts anchor identities (identity providers)."
          checked={draft.authoritative} onChange={(v) => patch({ authoritative: v })} />
      </fieldset>

      <fieldset disabled={readOnly}>
        <legend>Settings</legend>
        <SchemaFields schema={kind.config_schema} value={draft.config} onChange={(config) => patch({ config })} readOnly={readOnly} />
      </fieldset>

      <fieldset disabled={readOnly}>
        <legend>Credential</legend>
        {connector && (
          <p>
            Secret: <SecretStatus connector={connector} />
          </p>
        )}
        {!readOnly && (
          <Field label={connector ? 'New secret' : 'Secret'}
            help="The API token or private key. Write-only: it is never shown again; leave empty to keep the saved one.">
            {(a) => (
              <textarea {...a} rows={3} autoComplete="off" spellCheck={false} className="secret-input"
                value={draft.secret} onChange={(e) => patch({ secret: e.target.value })} />
            )}
          </Field>
        )}
        <div className="scopes">
          <h3>Read-only scopes to grant</h3>
          {kind.scopes.length ? (
            <ul>
              {kind.scopes.map((s) => (
                <li key={s}><code>{s}</code></li>
              ))}
            </ul>
          ) : (
            <p className="muted">None listed.</p>
          )}
        </div>
      </fieldset>

      {saveError && <div role="alert" className="alert"><strong>Could not save.</strong> {saveError.message}</div>}
      {test.error && <div role="alert" className="alert"><strong>Could not test.</strong> {test.error.message}</div>}
      {test.data && <TestResultNote result={test.data} />}
      {saved && <p role="status" className="note note-good">Saved.</p>}
      {!readOnly && (
        <div className="actions">
          <button type="button" className="button" disabled={test.isPending} onClick={() => test.mutate(body())}>
            {test.isPending ? 'Testing…' : 'Test connection'}
          </button>
          <button type="submit" className="button primary" disabled={saving}>
            {saving ? 'Saving…' : 'Save'}
          </button>
        </div>
      )}
    </form>
  )
}

function Check({ label, help, checked, onChange }: { label: string; help: string; checked: boolean; onChange: (v: boolean) => void }) {
  return (
    <Field label={label} help={help}>
      {(a) => <input {...a} type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} />}
    </Field>
  )
}
