/** The console's entry point (console/build.mjs bundles from here). */
import { html, render } from 'htm/preact';
import { App } from './app.js';
import './style.css';

render(html`<${App} />`, document.getElementById('app')!);
