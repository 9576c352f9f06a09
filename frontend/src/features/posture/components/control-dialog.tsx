import { useId, type ReactNode } from 'react'

/**
 * A modal dialog around one control's form, rendered only while open: the browser moves focus into it and keeps
 * it there, and Escape closes it (onClose). The opener returns focus to its button.
 */
export function ControlDialog({ title, onClose, children }: { title: string; onClose: () => void; children: ReactNode }) {
  const titleId = useId()
  return (
    <dialog
      aria-labelledby={titleId}
      className="panel"
      ref={(d) => {
        if (!d || d.open) return
        if (typeof d.showModal === 'function') d.showModal()
        else d.setAttribute('open', '')
      }}
      onCancel={(e) => {
        e.preventDefault()
        onClose()
      }}
    >
      <div className="panel-header">
        <h3 id={titleId}>{title}</h3>
      </div>
      <div className="panel-body">{children}</div>
    </dialog>
  )
}
