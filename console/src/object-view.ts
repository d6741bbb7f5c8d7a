/**
 * One object: per interface its properties (D-Bus type, value, live from
 * the websocket, a changed value highlighted) with an editor where the
 * gateway says this user may write, and its methods as forms built from
 * the introspected argument names and signatures.
 */
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { get, request } from './api.js';
import type { Live } from './live.js';
import { type Attributes, type MethodPermissions, attributes, mayCall, methodPermissions, type Property, withChanges } from './permissions.js';
import { displayValue, inputKind, inputText, parseInput, typeName } from './values.js';

interface Arg {
  readonly name?: string;
  readonly type: string;
  readonly direction?: string;
}
type Schema = Record<string, { method: Record<string, Arg[]> }>;

const STANDARD = /^org\.freedesktop\.DBus\./;

/** An input that fits the signature; `name` is the form field. */
export function TypedInput({ id, name, signature, value }: { id: string; name: string; signature: string; value?: unknown }) {
  const kind = inputKind(signature);
  if (kind === 'boolean') {
    return html`<select id=${id} name=${name}>
      <option value="true" selected=${value === true}>true</option>
      <option value="false" selected=${value !== true}>false</option></select>`;
  }
  if (kind === 'json') return html`<textarea id=${id} name=${name} rows="2">${value === undefined ? '' : inputText(value)}</textarea>`;
  return html`<input id=${id} name=${name} inputmode=${kind === 'text' ? undefined : 'decimal'}
    value=${value === undefined ? '' : inputText(value)} />`;
}

function PropertyRow({ path, interfaceName, name, property, changed }:
  { path: string; interfaceName: string; name: string; property: Property; changed: number }) {
  const [editing, setEditing] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const id = `edit-${interfaceName}-${name}`.replace(/\W/g, '-');
  const save = async (event: Event) => {
    event.preventDefault();
    setError(undefined);
    try {
      const text = String(new FormData(event.target as HTMLFormElement).get('value') ?? '');
      await request('PUT', `${path}/attr/${name}`, parseInput(property.signature, text));
      setEditing(false);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return html`
    <tr data-property=${name}>
      <th scope="row">${name}</th>
      <td><code title=${typeName(property.signature)}>${property.signature}</code></td>
      <td class="value">
        ${editing
          ? html`<form class="inline" onSubmit=${save}>
              <label class="sr-only" for=${id}>New value of ${name}</label>
              <${TypedInput} id=${id} name="value" signature=${property.signature} value=${property.value} />
              <button type="submit">Save</button>
              <button type="button" class="secondary" onClick=${() => { setEditing(false); setError(undefined); }}>Cancel</button>
            </form>`
          : html`<span key=${changed} class=${changed > 0 ? 'changed' : ''}>${displayValue(property.value)}</span>`}
        ${error && html`<p class="error" role="alert">${error}</p>`}
      </td>
      <td>${property.writable && !editing
        ? html`<button type="button" class="secondary" aria-label=${`Edit ${name}`} onClick=${() => setEditing(true)}>Edit</button>`
        : ''}</td>
    </tr>`;
}

function MethodForm({ path, name, args }: { path: string; name: string; args: Arg[] }) {
  const [result, setResult] = useState<{ ok: boolean; text: string } | undefined>(undefined);
  const inputs = args.filter((arg) => arg.direction !== 'out');
  const outputs = args.filter((arg) => arg.direction === 'out');
  const call = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    try {
      const values = inputs.map((arg, i) => parseInput(arg.type, String(form.get(`arg${i}`) ?? '')));
      const answer = await request('POST', `${path}/action/${name}`, values);
      setResult({ ok: true, text: JSON.stringify(answer, null, 2) });
    } catch (err) {
      setResult({ ok: false, text: (err as Error).message });
    }
  };
  const signature = `(${inputs.map((a) => `${a.name ?? ''} ${a.type}`.trim()).join(', ')})`
    + (outputs.length > 0 ? ` → ${outputs.map((a) => a.type).join('')}` : '');
  return html`
    <form class="method" data-method=${name} onSubmit=${call}>
      <h4>${name} <code>${signature}</code></h4>
      ${inputs.map((arg, i) => {
        const id = `arg-${name}-${i}`;
        return html`<div class="field"><label for=${id}>${arg.name || `argument ${i + 1}`} <code>${arg.type}</code></label>
          <${TypedInput} id=${id} name=${`arg${i}`} signature=${arg.type} /></div>`;
      })}
      <button type="submit">Call ${name}</button>
      ${result && html`<pre class=${result.ok ? 'result' : 'error'} role="status">${result.text}</pre>`}
    </form>`;
}

export function ObjectView({ path, live }: { path: string; live: Live }) {
  const [attrs, setAttrs] = useState<Attributes | undefined>(undefined);
  const [schema, setSchema] = useState<Schema>({});
  const [permissions, setPermissions] = useState<MethodPermissions>(new Map());
  const [changed, setChanged] = useState<Record<string, number>>({});
  const [error, setError] = useState<string | undefined>(undefined);
  const [version, setVersion] = useState(0);

  useEffect(() => {
    let current = true;
    setError(undefined);
    setAttrs(undefined);
    setChanged({});
    Promise.all([attributes(path), get<Schema>(`${path === '/' ? '' : path}/schema`), methodPermissions(path)])
      .then(([a, s, p]) => {
        if (!current) return;
        setAttrs(a);
        setSchema(s);
        setPermissions(p);
      })
      .catch((err: Error) => current && setError(err.message));
    return () => { current = false; };
  }, [path, version]);

  useEffect(() => live.listen((event) => {
    if (event.path !== path) return;
    if (event.event !== 'PropertiesChanged') {
      setVersion((v) => v + 1);
      return;
    }
    const iface = event.interface ?? '';
    setAttrs((old) => withChanges(old, iface, event.properties ?? {}));
    setChanged((old) => {
      const next = { ...old };
      for (const name of Object.keys(event.properties ?? {})) next[`${iface}.${name}`] = (next[`${iface}.${name}`] ?? 0) + 1;
      return next;
    });
  }), [path, live]);

  if (error) return html`<section class="object"><h2>${path}</h2><p class="error" role="alert">${error}</p></section>`;
  if (!attrs) return html`<section class="object"><h2>${path}</h2><p class="muted">Loading…</p></section>`;
  const interfaces = [...new Set([...Object.keys(attrs), ...Object.keys(schema)])].filter((name) => !STANDARD.test(name)).sort();
  return html`
    <section class="object" aria-live="polite">
      <h2>${path}</h2>
      ${interfaces.length === 0 && html`<p class="muted">No interfaces here (a path on the way to objects).</p>`}
      ${interfaces.map((interfaceName) => {
        const properties = Object.entries(attrs[interfaceName] ?? {});
        const methods = Object.entries(schema[interfaceName]?.method ?? {})
          .filter(([name]) => mayCall(permissions, interfaceName, name));
        return html`
          <section class="interface" data-interface=${interfaceName}>
            <h3>${interfaceName}</h3>
            ${properties.length > 0 && html`
              <table>
                <thead><tr><th scope="col">Property</th><th scope="col">Type</th><th scope="col">Value</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
                <tbody>${properties.map(([name, property]) => html`<${PropertyRow} key=${name} path=${path}
                  interfaceName=${interfaceName} name=${name} property=${property} changed=${changed[`${interfaceName}.${name}`] ?? 0} />`)}</tbody>
              </table>`}
            ${methods.map(([name, args]) => html`<${MethodForm} key=${name} path=${path} name=${name} args=${args} />`)}
          </section>`;
      })}
    </section>`;
}
