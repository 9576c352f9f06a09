/**
 * The documentation of connector kinds lives in the repository (docs/connectors/<kind>.md) and is read on GitHub,
 * where its tables and anchors render; the admin UI links each connector form to its kind's page.
 */
export const docsBaseUrl = 'https://github.com/open-sspm/open-sspm/blob/main/docs'

/** The docs page of a connector kind: what it reads, the credential to create, webhooks, troubleshooting. */
export function connectorDocsUrl(kind: string): string {
  return `${docsBaseUrl}/connectors/${encodeURIComponent(kind)}.md`
}
