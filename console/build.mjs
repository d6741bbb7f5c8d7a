#!/usr/bin/env node
/**
 * Builds the browser console (console/src → build/console/) with esbuild:
 * one minified script and one stylesheet, named by a hash of their content
 * (served as immutable, http/console-files.ts), and index.html pointing at
 * them. Preact, htm and uPlot are bundled in: they are devDependencies, the
 * runtime install does not grow.
 *
 *   node console/build.mjs
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', 'build', 'console');

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
const result = await build({
  entryPoints: [join(here, 'src', 'main.ts')],
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2020'],
  outdir: out,
  entryNames: '[name]-[hash]',
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
});
const outputs = Object.keys(result.metafile.outputs).map((file) => basename(file));
const script = outputs.find((name) => name.endsWith('.js'));
const style = outputs.find((name) => name.endsWith('.css'));
if (!script || !style) throw new Error(`expected a script and a stylesheet, got ${outputs.join(', ')}`);
const html = (await readFile(join(here, 'index.html'), 'utf8')).replace('{{script}}', script).replace('{{style}}', style);
await writeFile(join(out, 'index.html'), html);
await writeFile(join(out, 'favicon.svg'), await readFile(join(here, 'favicon.svg')));
