import type { QueryClient } from '@tanstack/react-query'
import {
  Outlet,
  createRootRouteWithContext,
  createRoute,
  createRouter,
  redirect,
  useRouterState,
  type RouterHistory,
} from '@tanstack/react-router'

import { getToken } from '@/lib/token'

import { AccessChangesPage, accessChangesSearch } from './routes/access-changes'
import { AccountsPage, accountsSearch } from './routes/accounts'
import { AppDetailPage } from './routes/app-detail'
import { AuditPage, auditSearch } from './routes/audit'
import { ConnectorEditPage } from './routes/connector-edit'
import { ConnectorNewPage, connectorNewSearch } from './routes/connector-new'
import { ConnectorsPage, connectorsSearch } from './routes/connectors'
import { DiscoveryPage, discoverySearch } from './routes/discovery'
import { EventsPage, eventsSearch } from './routes/events'
import { FindingDetailPage } from './routes/finding-detail'
import { FindingsPage, findingsSearch } from './routes/findings'
import { HealthPage } from './routes/health'
import { IdentitiesPage, identitiesSearch } from './routes/identities'
import { IdentityDetailPage } from './routes/identity-detail'
import { OverviewPage } from './routes/overview'
import { PosturePage, postureSearch } from './routes/posture'
import { ResourceDetailPage, resourceDetailSearch } from './routes/resource-detail'
import { ResourcesPage, resourcesSearch } from './routes/resources'
import { SignInPage, signInSearch } from './routes/sign-in'
import { NotFound, Shell } from './shell'

export interface RouterContext {
  queryClient: QueryClient
}

export const signInPath = '/sign-in'

/** The sign-in page stands alone; every other page is inside the shell. */
function Root() {
  const path = useRouterState({ select: (s) => s.location.pathname })
  return path === signInPath ? <Outlet /> : <Shell />
}

const rootRoute = createRootRouteWithContext<RouterContext>()({
  component: Root,
  notFoundComponent: NotFound,
  beforeLoad: ({ location }) => {
    if (location.pathname !== signInPath && !getToken()) {
      throw redirect({ to: signInPath, search: { redirect: location.href } })
    }
  },
})

const route = <P extends string>(path: P) => ({ getParentRoute: () => rootRoute, path })

const signInRoute = createRoute({ ...route(signInPath), validateSearch: signInSearch, component: SignInPage })
const overviewRoute = createRoute({ ...route('/'), component: OverviewPage })
const identitiesRoute = createRoute({ ...route('/identities'), validateSearch: identitiesSearch, component: IdentitiesPage })
const identityRoute = createRoute({ ...route('/identities/$id'), component: IdentityDetailPage })
const connectorsRoute = createRoute({
  ...route('/settings/connectors'),
  validateSearch: connectorsSearch,
  component: ConnectorsPage,
})
const connectorNewRoute = createRoute({
  ...route('/settings/connectors/new'),
  validateSearch: connectorNewSearch,
  component: ConnectorNewPage,
})
const connectorEditRoute = createRoute({ ...route('/settings/connectors/$id'), component: ConnectorEditPage })
const healthRoute = createRoute({ ...route('/settings/health'), component: HealthPage })
const accountsRoute = createRoute({
  ...route('/connectors/$id/accounts'),
  validateSearch: accountsSearch,
  component: AccountsPage,
})
const discoveryRoute = createRoute({ ...route('/discovery'), validateSearch: discoverySearch, component: DiscoveryPage })
const appRoute = createRoute({ ...route('/discovery/$key'), component: AppDetailPage })
const eventsRoute = createRoute({ ...route('/events'), validateSearch: eventsSearch, component: EventsPage })
const findingsRoute = createRoute({ ...route('/findings'), validateSearch: findingsSearch, component: FindingsPage })
const findingRoute = createRoute({ ...route('/findings/$id'), component: FindingDetailPage })
const postureRoute = createRoute({ ...route('/posture'), validateSearch: postureSearch, component: PosturePage })
const resourcesRoute = createRoute({ ...route('/resources'), validateSearch: resourcesSearch, component: ResourcesPage })
const resourceRoute = createRoute({
  ...route('/resources/$id'),
  validateSearch: resourceDetailSearch,
  component: ResourceDetailPage,
})
const auditRoute = createRoute({ ...route('/audit'), validateSearch: auditSearch, component: AuditPage })
const accessChangesRoute = createRoute({
  ...route('/access-changes'),
  validateSearch: accessChangesSearch,
  component: AccessChangesPage,
})

const routeTree = rootRoute.addChildren([
  signInRoute,
  overviewRoute,
  identitiesRoute,
  identityRoute,
  connectorsRoute,
  connectorNewRoute,
  connectorEditRoute,
  healthRoute,
  accountsRoute,
  discoveryRoute,
  appRoute,
  eventsRoute,
  findingsRoute,
  findingRoute,
  postureRoute,
  resourcesRoute,
  resourceRoute,
  auditRoute,
  accessChangesRoute,
])

/** createAppRouter builds the router; tests pass a memory history. */
export function createAppRouter(queryClient: QueryClient, history?: RouterHistory) {
  return createRouter({
    routeTree,
    context: { queryClient },
    defaultPreload: 'intent',
    ...(history ? { history } : {}),
  })
}

declare module '@tanstack/react-router' {
  interface Register {
    router: ReturnType<typeof createAppRouter>
  }
}
