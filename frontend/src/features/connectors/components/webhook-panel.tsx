import { useState } from 'react'

import { Panel } from '@/components/panel'

import { useWebhook } from '../api/get-webhook'

/** The webhook URL and secret to register with the provider, shown on request (each read is audited). */
export function WebhookPanel({ connectorId, pushRegistration }: { connectorId: string; pushRegistration: boolean }) {
  const [show, setShow] = useState(false)
  const hook = useWebhook(connectorId, show)
  const origin = globalThis.location?.origin ?? ''
  return (
    <Panel title="Webhook">
      {!show ? (
        <button type="button" className="button" onClick={() => setShow(true)}>
          Show webhook URL and secret
        </button>
      ) : hook.error ? (
        <div role="alert" className="alert">{hook.error.message}</div>
      ) : !hook.data ? (
        <p role="status" className="muted">Loading…</p>
      ) : (
        <>
          <dl className="facts">
            <dt>URL</dt>
            <dd><code>{origin + hook.data.path}</code></dd>
            <dt>Secret</dt>
            <dd><code className="secret">{hook.data.secret}</code></dd>
          </dl>
          {pushRegistration && (
            <>
              <p>Register it with the provider in the Push hook section, or from the command line:</p>
              <pre className="command">
                open-sspm hooks register --connector {connectorId} --url {origin}
              </pre>
            </>
          )}
        </>
      )}
    </Panel>
  )
}
