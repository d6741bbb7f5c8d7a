/**
 * The D-Bus object tree, loaded lazily: a node's children (`GET <path>/`)
 * are asked for when it is opened, once. Real buttons: the arrow opens, the
 * name selects, both by keyboard.
 */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { get } from './api.js';

function TreeNode({ path, selected, onSelect }: { path: string; selected: string; onSelect: (path: string) => void }) {
  const [children, setChildren] = useState<string[] | undefined>(undefined);
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const toggle = async () => {
    if (!open && children === undefined) {
      try {
        setChildren(await get<string[]>(`${path === '/' ? '' : path}/`));
      } catch (err) {
        setError((err as Error).message);
      }
    }
    setOpen(!open);
  };
  const name = path === '/' ? '/' : path.slice(path.lastIndexOf('/') + 1);
  return html`
    <li>
      <button type="button" class="twisty" aria-expanded=${open} aria-label=${`${open ? 'Close' : 'Open'} ${path}`}
        onClick=${toggle}>${open ? '▾' : '▸'}</button>
      <button type="button" class=${`node${selected === path ? ' selected' : ''}`} title=${path}
        aria-current=${selected === path ? 'true' : undefined} onClick=${() => onSelect(path)}>${name}</button>
      ${error && html`<span class="error">${error}</span>`}
      ${open && children && html`<ul>
        ${children.length === 0 ? html`<li class="muted">no children</li>` : children.map((child) =>
          html`<${TreeNode} key=${child} path=${child} selected=${selected} onSelect=${onSelect} />`)}
      </ul>`}
    </li>`;
}

export function Tree({ selected, onSelect }: { selected: string; onSelect: (path: string) => void }) {
  return html`<nav class="tree" aria-label="D-Bus objects"><ul><${TreeNode} path="/" selected=${selected} onSelect=${onSelect} /></ul></nav>`;
}
