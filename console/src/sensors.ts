/**
 * Every xyz.openbmc_project.Sensor.Value below /xyz/openbmc_project/sensors
 * (one enumerate), then live from the websocket: value, unit, threshold
 * state, and a uPlot chart per sensor of the last minutes (the first
 * MAX_CHARTS sensors: each chart is a canvas).
 */
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { get } from './api.js';
import type { Live } from './live.js';
import { shortEnum } from './values.js';

const SENSORS = '/xyz/openbmc_project/sensors';
const WINDOW_S = 5 * 60;
const MAX_CHARTS = 48;

interface Sensor {
  readonly path: string;
  readonly value: number | null;
  readonly unit: string;
  readonly state: 'normal' | 'warning' | 'critical';
  /** [times (s), values] within the window. */
  readonly history: [number[], number[]];
}

type Props = Record<string, unknown>;

function thresholdState(props: Props): Sensor['state'] {
  if (props.CriticalAlarmHigh === true || props.CriticalAlarmLow === true) return 'critical';
  if (props.WarningAlarmHigh === true || props.WarningAlarmLow === true) return 'warning';
  return 'normal';
}

/** How often a chart's time axis moves on without new values (a local redraw, nothing is asked). */
const REDRAW_MS = 5000;

/** The points to draw: the history, and the last value held until now (a sensor that does not change is a flat line). */
function series(history: [number[], number[]]): [number[], number[]] {
  const last = history[1][history[1].length - 1];
  if (last === undefined) return history;
  return [[...history[0], Date.now() / 1000], [...history[1], last]];
}

function Chart({ history, label }: { history: [number[], number[]]; label: string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const latest = useRef(history);
  latest.current = history;
  useEffect(() => {
    plot.current = new uPlot({
      width: 240, height: 90, legend: { show: false }, cursor: { show: false },
      scales: { x: { time: true, range: () => { const now = Date.now() / 1000; return [now - WINDOW_S, now]; } } },
      axes: [{ size: 24, font: '10px sans-serif' }, { size: 52, font: '10px sans-serif' }],
      series: [{}, { label, stroke: '#1f6feb', width: 1.5, points: { show: false } }],
    }, series(history), box.current!);
    const timer = setInterval(() => plot.current?.setData(series(latest.current)), REDRAW_MS);
    return () => { clearInterval(timer); plot.current?.destroy(); };
  }, []);
  useEffect(() => plot.current?.setData(series(history)), [history]);
  return html`<div class="chart" ref=${box} role="img" aria-label=${`${label}, last ${WINDOW_S / 60} minutes`}></div>`;
}

export function SensorsPanel({ live }: { live: Live }) {
  const [sensors, setSensors] = useState<Map<string, Sensor>>(new Map());
  const [error, setError] = useState<string | undefined>(undefined);
  const props = useRef(new Map<string, Props>());

  useEffect(() => {
    const now = () => Date.now() / 1000;
    const update = (path: string, changes: Props) => {
      const merged = { ...props.current.get(path), ...changes };
      props.current.set(path, merged);
      setSensors((old) => {
        const next = new Map(old);
        const before = old.get(path);
        const value = typeof merged.Value === 'number' ? merged.Value : null;
        let history = before?.history ?? [[], []];
        if ('Value' in changes && value !== null) {
          const t = now();
          const keep = history[0].findIndex((time) => time >= t - WINDOW_S);
          const from = keep === -1 ? history[0].length : keep;
          history = [[...history[0].slice(from), t], [...history[1].slice(from), value]];
        }
        next.set(path, { path, value, unit: shortEnum(merged.Unit ?? ''), state: thresholdState(merged), history });
        return next;
      });
    };
    get<Record<string, Props>>(`${SENSORS}/enumerate`).then((objects) => {
      for (const [path, values] of Object.entries(objects)) if ('Value' in values) update(path, values);
    }).catch((err: Error) => setError(err.message));
    return live.listen((event) => {
      if (!event.path.startsWith(`${SENSORS}/`)) return;
      if (event.event === 'PropertiesChanged' && props.current.has(event.path)) update(event.path, event.properties ?? {});
    });
  }, [live]);

  const list = [...sensors.values()].sort((a, b) => a.path.localeCompare(b.path));
  return html`
    <section class="sensors">
      <h2>Sensors <span class="muted">(${list.length})</span></h2>
      ${error && html`<p class="error" role="alert">${error}</p>`}
      <ul class="sensor-grid">${list.map((sensor, i) => html`
        <li key=${sensor.path} class=${`sensor ${sensor.state}`} data-sensor=${sensor.path}>
          <h3 title=${sensor.path}>${sensor.path.slice(SENSORS.length + 1)}</h3>
          <p><span class="reading">${sensor.value === null ? '—' : sensor.value.toFixed(2)}</span> ${sensor.unit}
            <span class=${`badge ${sensor.state}`}>${sensor.state}</span></p>
          ${i < MAX_CHARTS && html`<${Chart} history=${sensor.history} label=${sensor.path} />`}
        </li>`)}</ul>
    </section>`;
}
