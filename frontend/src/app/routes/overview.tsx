import { HealthPanel } from '@/features/health/components/health-panel'

export function OverviewPage() {
  return (
    <>
      <h1>Overview</h1>
      <HealthPanel />
    </>
  )
}
