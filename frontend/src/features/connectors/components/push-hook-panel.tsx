import { useState, type FormEvent } from 'react'

import { Field } from '@/components/field'
import { Panel } from '@/components/panel'
import { formatDateTime } from '@/lib/format'

import { usePushHook, useRegisterPushHook } from '../api/push-hook'

/**
 * The connector's push hook as registered with the provider (URL, provider ids, when), and for admins a form
 * that registers it (again) at this deployment's URL. Renewal of expiring subscriptions uses the registration.
 */
export function PushHookPanel({ connectorId, canRegister }: { connectorId: string; canRegister: boolean }) {
  const hook = usePushHook(connectorId)
  const register = useRegisterPushHook(connectorId)
  const [url, setUrl] = useState(() => globalThis.location?.origin ?? '')
  const registered = hook.data?.url ? hook.data : null
  const submit = (e: FormEvent) => {
    e.preventDefault()
    register.mutate(url.trim())
  }
  return (
    <Panel title="Push hook">
      {hook.error ? (
        <div role="alert" className="alert">{hook.error.message}</div>
      ) : hook.isPending ? (
        <p role="status" className="muted">Loading…</p>
      ) : registered ? (
        <dl className="facts">
          <dt>URL</dt>
          <dd><code>{registered.url}</code></dd>
          <dt>Registered</dt>
          <dd>{formatDateTime(registered.registered_at)}</dd>
          <dt>Provider ids</dt>
          <dd><code>{registered.provider_ref || '—'}</code></dd>
        </dl>
      ) : (
        <p className="muted">Not registered: the provider does not push to this deployment yet.</p>
      )}
      {hook.data?.last_error && (
        <p className="alert">
          <strong>The last attempt failed</strong> ({formatDateTime(hook.data.last_error_at)}, {hook.data.last_error_url}): {hook.data.last_error}
        </p>
      )}
      {canRegister && (
        <form className="form" aria-label="Register push hook" onSubmit={submit}>
          <Field label="Deployment URL" help="This deployment's public https URL; /hooks/{kind}/{id} is appended. Renewals then use it.">
            {(a) => <input {...a} type="url" required value={url} onChange={(e) => setUrl(e.target.value)} />}
          </Field>
          <div className="actions">
            <button type="submit" className="button primary" disabled={register.isPending || !url.trim()}>
              {register.isPending ? 'Registering…' : registered ? 'Register again' : 'Register'}
            </button>
            {register.isSuccess && !register.isPending && <span role="status" className="note note-good">Registered.</span>}
            {register.error && <span role="alert" className="alert">{register.error.message}</span>}
          </div>
        </form>
      )}
    </Panel>
  )
}
