/**
 * GET /download/dump/<id>: streams the dump file phosphor-debug-collector
 * keeps in <dump dir>/<id>/, raw (no envelope), with Content-Disposition and
 * single byte-range support (a dump is large and transfers get interrupted).
 * 404 texts are the original's: `Path not found` (no such dump directory),
 * `Dump not found` (the directory holds no file).
 */
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Context } from 'koa';
import { GatewayError } from '../errors.js';

const DUMP_ID = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export async function sendDump(ctx: Context, dumpDir: string, dumpId: string): Promise<void> {
  if (!DUMP_ID.test(dumpId) || dumpId.includes('..')) throw new GatewayError(404, 'Path not found');
  const dir = join(dumpDir, dumpId);
  let entries: string[];
  try {
    entries = (await readdir(dir)).sort();
  } catch {
    throw new GatewayError(404, 'Path not found');
  }
  let file: { name: string; size: number; mtime: Date } | undefined;
  for (const name of entries) {
    const info = await stat(join(dir, name)).catch(() => undefined);
    if (info?.isFile()) {
      file = { name, size: info.size, mtime: info.mtime };
      break;
    }
  }
  if (!file) throw new GatewayError(404, 'Dump not found');

  const range = parseRange(ctx.get('range'), file.size);
  ctx.set('Accept-Ranges', 'bytes');
  ctx.set('Last-Modified', file.mtime.toUTCString());
  ctx.set('Content-Disposition', `attachment; filename="${file.name.replace(/["\\]/g, '_')}"`);
  if (range === 'unsatisfiable') {
    throw new GatewayError(416, 'Requested Range Not Satisfiable', { headers: { 'Content-Range': `bytes */${file.size}` } });
  }
  ctx.type = 'application/octet-stream';
  const path = join(dir, file.name);
  if (range) {
    ctx.status = 206;
    ctx.set('Content-Range', `bytes ${range.start}-${range.end}/${file.size}`);
    ctx.length = range.end - range.start + 1;
    ctx.body = createReadStream(path, { start: range.start, end: range.end });
  } else {
    ctx.status = 200;
    ctx.length = file.size;
    ctx.body = createReadStream(path);
  }
}

/**
 * One `bytes=a-b`, `bytes=a-` or `bytes=-n` range (RFC 9110). Several ranges
 * or a malformed header: the whole file (allowed by the RFC).
 */
export function parseRange(header: string, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return undefined;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return undefined;
  let start: number;
  let end: number;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(first);
    end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
    if (last !== '' && Number(last) < start) return undefined;
  }
  if (start >= size || size === 0) return 'unsatisfiable';
  return { start, end };
}
