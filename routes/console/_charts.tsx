/**
 * Charts drawn on the server as SVG (no chart library, no client script): a grouped bar chart
 * (daily gross vs net savings) and a line chart (prices over time). Each chart has a text
 * alternative (`<title>`/`<desc>`) and the caller prints the numbers in a table as well.
 */
import type { Child } from "hono/jsx";

/** One series of a chart. */
export interface Series {
  name: string;
  /** CSS class giving the colour (`s0`..`s5`). */
  cls: string;
  values: (number | null)[];
}

const W = 720;
const H = 260;
const PAD = { left: 56, right: 12, top: 12, bottom: 40 };

function niceTicks(min: number, max: number, count = 5): number[] {
  if (min === max) max = min + 1;
  const raw = (max - min) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  const first = Math.floor(min / step + 1e-9);
  const last = Math.ceil(max / step - 1e-9);
  for (let i = first; i <= last; i++) out.push(Number((i * step).toPrecision(12)));
  return out;
}

function fmt(v: number, digits: number): string {
  return v.toFixed(digits);
}

interface Frame {
  y: (v: number) => number;
  ticks: number[];
  plotW: number;
}

function frame(all: number[], digits: number): Frame & { grid: Child } {
  const lo = Math.min(0, ...all);
  const hi = Math.max(0, ...all);
  const ticks = niceTicks(lo, hi);
  const tMin = ticks[0]!;
  const tMax = ticks[ticks.length - 1]!;
  const plotH = H - PAD.top - PAD.bottom;
  const y = (v: number) => PAD.top + plotH - ((v - tMin) / (tMax - tMin || 1)) * plotH;
  const grid = (
    <g class="grid">
      {ticks.map((t) => (
        <g>
          <line x1={PAD.left} x2={W - PAD.right} y1={y(t)} y2={y(t)} />
          <text x={PAD.left - 6} y={y(t) + 4} text-anchor="end">{fmt(t, digits)}</text>
        </g>
      ))}
    </g>
  );
  return { y, ticks, plotW: W - PAD.left - PAD.right, grid };
}

function Legend(props: { series: Series[] }) {
  return (
    <g class="legend">
      {props.series.map((s, i) => (
        <g transform={`translate(${PAD.left + i * 170}, ${H - 10})`}>
          <rect class={s.cls} width="12" height="12" y="-10" />
          <text x="18">{s.name}</text>
        </g>
      ))}
    </g>
  );
}

function xLabels(labels: string[], x: (i: number) => number): Child {
  const every = Math.max(1, Math.ceil(labels.length / 8));
  return (
    <g class="xlabels">
      {labels.map((l, i) =>
        i % every === 0
          ? <text x={x(i)} y={H - PAD.bottom + 14} text-anchor="middle">{l}</text>
          : null
      )}
    </g>
  );
}

/** Grouped bars, one group per label (e.g. per day). */
export function BarChart(
  props: { title: string; desc: string; labels: string[]; series: Series[]; digits?: number },
) {
  const digits = props.digits ?? 2;
  const all = props.series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const f = frame(all, digits);
  const n = Math.max(1, props.labels.length);
  const groupW = f.plotW / n;
  const barW = Math.max(1, (groupW * 0.8) / props.series.length);
  const x = (i: number) => PAD.left + groupW * i + groupW / 2;
  return (
    <svg
      class="chart"
      viewBox={`0 0 ${W} ${H}`}
      role="img"
      aria-labelledby="chart-title chart-desc"
    >
      <title id="chart-title">{props.title}</title>
      <desc id="chart-desc">{props.desc}</desc>
      {f.grid}
      <line class="axis" x1={PAD.left} x2={W - PAD.right} y1={f.y(0)} y2={f.y(0)} />
      {props.series.map((s, si) => (
        <g class={s.cls}>
          {s.values.map((v, i) => {
            if (v === null) return null;
            const x0 = PAD.left + groupW * i + groupW * 0.1 + si * barW;
            const top = Math.min(f.y(v), f.y(0));
            return (
              <rect x={x0} y={top} width={barW} height={Math.abs(f.y(v) - f.y(0))}>
                <title>{`${props.labels[i]} ${s.name}: ${fmt(v, digits)}`}</title>
              </rect>
            );
          })}
        </g>
      ))}
      {xLabels(props.labels, x)}
      <Legend series={props.series} />
    </svg>
  );
}

/** Lines over shared x labels (e.g. hourly prices); null values break a line. */
export function LineChart(
  props: { title: string; desc: string; labels: string[]; series: Series[]; digits?: number },
) {
  const digits = props.digits ?? 4;
  const all = props.series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const f = frame(all, digits);
  const n = props.labels.length;
  const x = (i: number) => PAD.left + (n <= 1 ? f.plotW / 2 : (f.plotW * i) / (n - 1));
  const paths = (s: Series): string => {
    let d = "";
    let pen = false;
    s.values.forEach((v, i) => {
      if (v === null) {
        pen = false;
        return;
      }
      d += `${pen ? "L" : "M"}${x(i).toFixed(1)} ${f.y(v).toFixed(1)} `;
      pen = true;
    });
    return d.trim();
  };
  return (
    <svg
      class="chart"
      viewBox={`0 0 ${W} ${H}`}
      role="img"
      aria-labelledby="chart-title chart-desc"
    >
      <title id="chart-title">{props.title}</title>
      <desc id="chart-desc">{props.desc}</desc>
      {f.grid}
      {props.series.map((s) => (
        <g class={s.cls}>
          <path class="line" d={paths(s)} />
          {n <= 48
            ? s.values.map((v, i) => v === null ? null : <circle cx={x(i)} cy={f.y(v)} r="2.5" />)
            : null}
        </g>
      ))}
      {xLabels(props.labels, x)}
      <Legend series={props.series} />
    </svg>
  );
}
