/**
 * Live events from the websocket: InterfacesAdded and PropertiesChanged,
 * InterfacesRemoved when asked; filtered by path prefix and interface;
 * pause (events that arrive meanwhile are counted, not kept) and clear.
 * The last 200 are kept.
 */
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import type { BusEvent, Live } from './live.js';

const KEEP = 200;

interface Row {
  readonly id: number;
  readonly time: string;
  readonly event: BusEvent;
}

function interfacesOf(event: BusEvent): string[] {
  if (event.interface) return [event.interface];
  if (Array.isArray(event.interfaces)) return event.interfaces;
  return Object.keys(event.interfaces ?? {});
}

function summary(event: BusEvent): string {
  if (event.event === 'PropertiesChanged') {
    return Object.entries(event.properties ?? {}).map(([name, value]) => `${name} = ${JSON.stringify(value)}`).join(', ');
  }
  return interfacesOf(event).join(', ');
}

let nextId = 0;

export function EventsPanel({ live }: { live: Live }) {
  const [rows, setRows] = useState<Row[]>([]);
  const [paused, setPaused] = useState(false);
  const [missed, setMissed] = useState(0);
  const [pathFilter, setPathFilter] = useState('');
  const [interfaceFilter, setInterfaceFilter] = useState('');
  const [removed, setRemoved] = useState(false);

  useEffect(() => live.listen((event) => {
    if (event.event === 'InterfacesRemoved' && !removed) return;
    if (pathFilter && !event.path.startsWith(pathFilter)) return;
    if (interfaceFilter && !interfacesOf(event).some((name) => name.includes(interfaceFilter))) return;
    if (paused) {
      setMissed((n) => n + 1);
      return;
    }
    const row = { id: nextId++, time: new Date().toLocaleTimeString(), event };
    setRows((old) => [row, ...old].slice(0, KEEP));
  }), [live, paused, pathFilter, interfaceFilter, removed]);

  return html`
    <section class="events">
      <h2>Live events</h2>
      <form class="toolbar" onSubmit=${(e: Event) => e.preventDefault()}>
        <label>Path starts with <input name="path" value=${pathFilter} placeholder="/xyz/openbmc_project/state"
          onInput=${(e: Event) => setPathFilter((e.target as HTMLInputElement).value)} /></label>
        <label>Interface contains <input name="interface" value=${interfaceFilter} placeholder="State.Host"
          onInput=${(e: Event) => setInterfaceFilter((e.target as HTMLInputElement).value)} /></label>
        <label class="check"><input type="checkbox" checked=${removed}
          onChange=${(e: Event) => setRemoved((e.target as HTMLInputElement).checked)} /> InterfacesRemoved</label>
        <button type="button" aria-pressed=${paused} onClick=${() => { setPaused(!paused); setMissed(0); }}>
          ${paused ? 'Resume' : 'Pause'}</button>
        <button type="button" class="secondary" onClick=${() => setRows([])}>Clear</button>
        ${paused && html`<span class="muted" role="status">${missed} events while paused</span>`}
      </form>
      ${rows.length === 0 ? html`<p class="muted">No events yet.</p>` : html`
        <table class="event-list">
          <thead><tr><th scope="col">Time</th><th scope="col">Event</th><th scope="col">Path</th><th scope="col">Details</th></tr></thead>
          <tbody>${rows.map(({ id, time, event }) => html`
            <tr key=${id} data-event=${event.event}>
              <td>${time}</td><td>${event.event}</td><td class="path">${event.path}</td>
              <td class="details">${event.interface ? html`<code>${event.interface}</code> ` : ''}${summary(event)}</td>
            </tr>`)}</tbody>
        </table>`}
    </section>`;
}
