// The rows/s chart as inline SVG: one bar per bucket, a rounded scale, the time axis in minutes ago (pure).
import { html, type SafeHtml } from './html.ts';
import type { Throughput } from './throughput.ts';

const WIDTH = 720;
const HEIGHT = 150;
const LEFT = 44;
const RIGHT = 8;
const TOP = 10;
const BOTTOM = 22;

export function renderThroughputChart(throughput: Throughput): SafeHtml {
  const { buckets } = throughput;
  const peak = Math.max(0, ...buckets.map((b) => b.rows_per_second));
  const scale = niceCeiling(peak);
  const plotWidth = WIDTH - LEFT - RIGHT;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const slot = plotWidth / Math.max(1, buckets.length);
  const bars = buckets.map((bucket, i) => {
    const height = scale === 0 ? 0 : (bucket.rows_per_second / scale) * plotHeight;
    // A bucket with any rows gets at least a visible sliver.
    const shown = bucket.rows > 0 ? Math.max(height, 1.5) : 0;
    const label = `${clock(bucket.start)}–${clock(bucket.end)} UTC: ${formatRate(bucket.rows_per_second)} rows/s (${bucket.rows} rows, ${bucket.messages} messages)`;
    return html`<rect class="bar" x="${fixed(LEFT + i * slot + 1)}" y="${fixed(TOP + plotHeight - shown)}" width="${fixed(Math.max(1, slot - 2))}" height="${fixed(shown)}"><title>${label}</title></rect>`;
  });
  const minutes = throughput.window_seconds / 60;
  const ticks = [minutes, (minutes * 2) / 3, minutes / 3, 0].map((ago) => {
    const x = LEFT + plotWidth - (ago / minutes) * plotWidth;
    const anchor = ago === minutes ? 'start' : ago === 0 ? 'end' : 'middle';
    return html`<text class="axis" x="${fixed(x)}" y="${HEIGHT - 6}" text-anchor="${anchor}">${ago === 0 ? 'now' : `−${Math.round(ago)} min`}</text>`;
  });
  const gridY = TOP;
  const baseY = TOP + plotHeight;
  return html`<svg class="chart" data-testid="throughput-chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="Rows landed per second over the last ${Math.round(minutes)} minutes">
<rect class="plot" x="${LEFT}" y="${TOP}" width="${fixed(plotWidth)}" height="${fixed(plotHeight)}"></rect>
<line class="grid" x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${gridY}" y2="${gridY}"></line>
<line class="grid" x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${fixed(TOP + plotHeight / 2)}" y2="${fixed(TOP + plotHeight / 2)}"></line>
<text class="axis" x="${LEFT - 6}" y="${gridY + 4}" text-anchor="end">${formatRate(scale)}</text>
<text class="axis" x="${LEFT - 6}" y="${fixed(TOP + plotHeight / 2 + 4)}" text-anchor="end">${formatRate(scale / 2)}</text>
<text class="axis" x="${LEFT - 6}" y="${baseY + 4}" text-anchor="end">0</text>
${bars}
<line class="baseline" x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${baseY}" y2="${baseY}"></line>
${ticks}
${throughput.rows === 0 ? html`<text class="empty" x="${fixed(LEFT + plotWidth / 2)}" y="${fixed(TOP + plotHeight / 2)}" text-anchor="middle">no rows landed in the last ${Math.round(minutes)} minutes</text>` : null}
</svg>`;
}

/** The smallest 1, 2 or 5 × 10ⁿ at or above the value (0 stays 0). */
export function niceCeiling(value: number): number {
  if (value <= 0) return 0;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

export function formatRate(perSecond: number): string {
  if (perSecond === 0) return '0';
  if (perSecond >= 1000) return `${(perSecond / 1000).toFixed(perSecond >= 10_000 ? 0 : 1)}k`;
  if (perSecond >= 10) return perSecond.toFixed(0);
  if (perSecond >= 1) return perSecond.toFixed(1);
  return perSecond.toFixed(2);
}

const fixed = (n: number) => n.toFixed(1);
const clock = (iso: string) => iso.slice(11, 19);
