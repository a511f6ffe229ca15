/**
 * A hand-rolled SVG line chart of the soak run: server RSS (MiB, left axis)
 * and active calls (right axis) against seconds since the load started, with
 * vertical markers (e.g. the 2-minute mark and the end of the load).
 */

/** One point of the chart. */
export interface ChartSample {
  /** Seconds since the load started. */
  readonly t: number;
  /** Server RSS, MiB. */
  readonly rssMiB: number;
  /** Server active calls (undefined when the scrape failed). */
  readonly activeCalls?: number;
}

/** A labelled vertical line at `t` seconds. */
export interface ChartMarker {
  /** Seconds since the load started. */
  readonly t: number;
  /** Text beside the line. */
  readonly label: string;
}

const W = 900;
const H = 420;
const PAD = { left: 60, right: 60, top: 40, bottom: 45 };

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A "nice" upper bound ≥ v for an axis (1, 2 or 5 × 10^k). */
export function niceCeil(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/** The SVG document of `samples` with `markers`, titled `title`. Throws on no samples. */
export function soakChartSvg(title: string, samples: readonly ChartSample[], markers: readonly ChartMarker[] = []): string {
  if (samples.length === 0) throw new RangeError('no samples to plot');
  const tMax = niceCeil(Math.max(...samples.map((s) => s.t), ...markers.map((m) => m.t)));
  const rssMax = niceCeil(Math.max(...samples.map((s) => s.rssMiB)) * 1.1);
  const actMax = niceCeil(Math.max(1, ...samples.map((s) => s.activeCalls ?? 0)) * 1.1);
  const pw = W - PAD.left - PAD.right;
  const ph = H - PAD.top - PAD.bottom;
  const x = (t: number) => (PAD.left + (t / tMax) * pw).toFixed(1);
  const y = (v: number, max: number) => (PAD.top + ph - (v / max) * ph).toFixed(1);
  const line = (pick: (s: ChartSample) => number | undefined, max: number) =>
    samples
      .filter((s) => pick(s) !== undefined)
      .map((s) => `${x(s.t)},${y(pick(s)!, max)}`)
      .join(' ');
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(title)}</text>`,
  ];
  for (let i = 0; i <= 5; i++) {
    const gy = PAD.top + (ph * i) / 5;
    out.push(`<line x1="${PAD.left}" y1="${gy}" x2="${W - PAD.right}" y2="${gy}" stroke="#ddd"/>`);
    out.push(`<text x="${PAD.left - 6}" y="${gy + 4}" text-anchor="end" fill="#1f77b4">${round1(rssMax * (1 - i / 5))}</text>`);
    out.push(`<text x="${W - PAD.right + 6}" y="${gy + 4}" fill="#d62728">${round1(actMax * (1 - i / 5))}</text>`);
  }
  for (let i = 0; i <= 10; i++) {
    const t = (tMax * i) / 10;
    out.push(`<text x="${x(t)}" y="${H - PAD.bottom + 16}" text-anchor="middle">${round1(t)}</text>`);
  }
  out.push(`<text x="${W / 2}" y="${H - 8}" text-anchor="middle">seconds since the load started</text>`);
  out.push(
    `<text x="14" y="${PAD.top + ph / 2}" transform="rotate(-90 14 ${PAD.top + ph / 2})" text-anchor="middle" fill="#1f77b4">server RSS, MiB</text>`,
  );
  out.push(
    `<text x="${W - 14}" y="${PAD.top + ph / 2}" transform="rotate(90 ${W - 14} ${PAD.top + ph / 2})" text-anchor="middle" fill="#d62728">active calls</text>`,
  );
  for (const m of markers) {
    out.push(`<line x1="${x(m.t)}" y1="${PAD.top}" x2="${x(m.t)}" y2="${PAD.top + ph}" stroke="#888" stroke-dasharray="4 4"/>`);
    out.push(`<text x="${Number(x(m.t)) + 4}" y="${PAD.top + 12}" fill="#555">${escapeXml(m.label)}</text>`);
  }
  out.push(`<polyline fill="none" stroke="#d62728" stroke-width="1" points="${line((s) => s.activeCalls, actMax)}"/>`);
  out.push(`<polyline fill="none" stroke="#1f77b4" stroke-width="2" points="${line((s) => s.rssMiB, rssMax)}"/>`);
  out.push(`<rect x="${PAD.left}" y="${PAD.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`, '</svg>', '');
  return out.join('\n');
}

function round1(v: number): string {
  return String(Math.round(v * 10) / 10);
}
