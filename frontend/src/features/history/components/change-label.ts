import type { AccessChange } from '../api/access-changes'

/** Change kinds as people read them, in the order the filters list them. */
export const changeLabels: Record<string, string> = {
  account_added: 'Account appeared',
  account_removed: 'Account disappeared',
  account_status_changed: 'Account status changed',
  account_admin_granted: 'Admin granted',
  account_admin_revoked: 'Admin revoked',
  membership_added: 'Membership added',
  membership_removed: 'Membership removed',
  membership_role_changed: 'Membership role changed',
  grant_added: 'Grant added',
  grant_removed: 'Grant removed',
  grant_permission_changed: 'Permission changed',
  credential_added: 'Credential appeared',
  credential_expired: 'Credential expired',
  credential_revoked: 'Credential revoked',
  credential_scopes_changed: 'Credential scopes changed',
  identity_linked: 'Identity linked',
  identity_unlinked: 'Identity unlinked',
}

export function changeLabel(change: string): string {
  return changeLabels[change] ?? change
}

/** "read → admin", "→ member", "active →": the value before and after, when the change has them. */
export function changeValues(c: AccessChange): string {
  if (!c.old_value && !c.new_value) return ''
  return `${c.old_value ?? ''} → ${c.new_value ?? ''}`.trim()
}

/** How the access is held: "direct", or "via group Engineering". */
export function heldVia(c: { via?: string | undefined; via_external_id?: string | undefined; via_name?: string | undefined }): string {
  if (!c.via || c.via === 'direct') return c.via ?? ''
  const through = c.via_name || c.via_external_id
  return through ? `via ${c.via} ${through}` : c.via
}
