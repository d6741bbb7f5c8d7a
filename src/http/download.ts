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
import parseRange from 'range-parser';
import { GatewayError, errors } from '../errors.js';
import type { GatewayContext } from './state.js';

const DUMP_ID = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export async function sendDumpFile(ctx: GatewayContext, dumpDir: string, dumpId: string): Promise<void> {
  if (!DUMP_ID.test(dumpId) || dumpId.includes('..')) throw errors.pathNotFound();
  const dir = join(dumpDir, dumpId);
  let entries: string[];
  try {
    entries = (await readdir(dir)).sort();
  } catch {
    throw errors.pathNotFound();
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

  const range = byteRange(ctx.get('range'), file.size);
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
 * The one byte range asked for (range-parser, as Express reads it), 'unsatisfiable' (416: past the
 * end, `bytes=-0`, or ranges that are not ranges), or undefined: no Range, another unit, or several
 * ranges, which get the whole file (RFC 9110 lets a server ignore Range).
 */
function byteRange(header: string, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (header === '') return undefined;
  const ranges = parseRange(size, header);
  if (ranges === -2) return undefined;
  if (ranges === -1) return 'unsatisfiable';
  if (ranges.type !== 'bytes' || ranges.length !== 1) return undefined;
  return ranges[0];
}
