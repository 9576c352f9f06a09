/** Small inline SVG charts: no chart library. Each has a text summary for screen readers (aria-label). */

export interface Bar {
  key: string | number
  value: number
  label: string
  tone?: 'good' | 'bad' | 'neutral'
}

const toneColor = { good: 'var(--good)', bad: 'var(--bad)', neutral: 'var(--accent)' } as const

/** Vertical bars, oldest left; each bar's label is its tooltip. */
export function BarChart({ bars, label, width = 240, height = 48 }: { bars: Bar[]; label: string; width?: number; height?: number }) {
  const max = Math.max(1, ...bars.map((b) => b.value))
  const step = bars.length > 0 ? width / bars.length : width
  const w = Math.max(1, step - 2)
  return (
    <svg className="chart" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={label}>
      {bars.map((b, i) => {
        const h = Math.max(1, (b.value / max) * (height - 2))
        return (
          <rect key={b.key} x={i * step + 1} y={height - h} width={w} height={h} fill={toneColor[b.tone ?? 'neutral']}>
            <title>{b.label}</title>
          </rect>
        )
      })}
    </svg>
  )
}

export interface Series {
  name: string
  color: string
  values: number[]
}

/** Lines over the same x steps, with the max on the y axis and the first and last x labels. */
export function LineChart({ series, xLabels, label, width = 560, height = 140 }: {
  series: Series[]
  xLabels: string[]
  label: string
  width?: number
  height?: number
}) {
  const pad = { l: 28, r: 6, t: 8, b: 16 }
  const n = Math.max(1, ...series.map((s) => s.values.length))
  const max = Math.max(1, ...series.flatMap((s) => s.values))
  const x = (i: number) => pad.l + (n === 1 ? 0 : (i * (width - pad.l - pad.r)) / (n - 1))
  const y = (v: number) => pad.t + (1 - v / max) * (height - pad.t - pad.b)
  return (
    <figure>
      <svg className="chart" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={label}>
        <line x1={pad.l} y1={y(0)} x2={width - pad.r} y2={y(0)} stroke="var(--border)" />
        <line x1={pad.l} y1={y(max)} x2={width - pad.r} y2={y(max)} stroke="var(--border)" strokeDasharray="3 3" />
        <text x={pad.l - 4} y={y(max) + 3} textAnchor="end">{max}</text>
        <text x={pad.l - 4} y={y(0) + 3} textAnchor="end">0</text>
        {xLabels.length > 0 && <text x={x(0)} y={height - 3}>{xLabels[0]}</text>}
        {xLabels.length > 1 && <text x={x(n - 1)} y={height - 3} textAnchor="end">{xLabels[xLabels.length - 1]}</text>}
        {series.map((s) => (
          <polyline key={s.name} fill="none" stroke={s.color} strokeWidth="2"
            points={s.values.map((v, i) => `${x(i)},${y(v)}`).join(' ')} />
        ))}
      </svg>
      <figcaption className="chart-legend">
        {series.map((s) => (
          <span key={s.name}><span aria-hidden="true" style={{ color: s.color }}>■</span> {s.name}</span>
        ))}
      </figcaption>
    </figure>
  )
}
