/**
 * Firmware upload: POST /upload/image (raw octet-stream or multipart) and
 * PUT /upload/image/<name>. The body streams straight into the image
 * directory (a BMC has less RAM than an image is large), the file is removed
 * on abort, error or size limit, and the answer is the version id the
 * software manager publishes for it.
 *
 * Time: there is no limit on how long an upload may take (an image of tens
 * of megabytes over a slow management network takes minutes), only on how
 * long it may send nothing: a body silent for `idleTimeoutMs` is answered
 * 408 and its file removed, so a stalled client cannot hold the one upload
 * slot for long.
 *
 * The image file is created new (O_CREAT|O_EXCL|O_NOFOLLOW), before the body
 * is read: a name that exists (a file, a directory or a symbolic link) is
 * a 409 and is left as it was, and the gateway never writes through a link
 * someone placed in the image directory.
 */
import { randomBytes } from 'node:crypto';
import { constants, createWriteStream } from 'node:fs';
import { type FileHandle, mkdir, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import type Busboy from 'busboy';
import type { Bmc } from '../bmc/objects.js';
import { GatewayError, errors, printable } from '../errors.js';
import { continueBody } from './body.js';
import { sendData } from './respond.js';
import type { GatewayContext as Context } from './state.js';

export interface UploadOptions {
  readonly imageDir: string;
  readonly maxBytes: number;
  /** How long to wait for the software manager after the file is closed. */
  readonly versionTimeoutMs: number;
  /** The longest pause allowed between two pieces of the body. */
  readonly idleTimeoutMs: number;
}

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$/;
const RETRY_AFTER_SECONDS = 30;

/** One name segment, no traversal, not hidden: 400 otherwise. */
export function checkImageName(name: string): string {
  if (!NAME.test(name) || name.includes('..')) {
    throw new GatewayError(400, `Invalid image file name '${printable(name, 80)}': ` +
      'use letters, digits, _ . - (not starting with . and without ..)');
  }
  return name;
}

/** Where the software manager announces the image it unpacked. */
export type VersionSource = Pick<Bmc, 'watchForNewVersion'>;

export class ImageUploader {
  readonly #versions: VersionSource;
  readonly #options: UploadOptions;
  #busy = false;

  constructor(versions: VersionSource, options: UploadOptions) {
    this.#versions = versions;
    this.#options = options;
  }

  /** Handles one upload; `name` is undefined for POST (the server picks one). */
  async handle(ctx: Context, name: string | undefined): Promise<void> {
    const fileName = name === undefined ? `img-${randomBytes(8).toString('hex')}` : checkImageName(name);
    const kind = bodyKind(ctx.get('content-type'));
    const declared = Number(ctx.get('content-length') || NaN);
    if (declared > this.#options.maxBytes + (kind === 'multipart' ? 64 * 1024 : 0)) throw this.#tooLarge(ctx);
    if (this.#busy) {
      throw errors.busy('Another image upload is in progress; try again later', RETRY_AFTER_SECONDS);
    }
    this.#busy = true;
    try {
      await mkdir(this.#options.imageDir, { recursive: true, mode: 0o700 });
      const watch = await this.#versions.watchForNewVersion();
      try {
        const path = join(this.#options.imageDir, fileName);
        await this.#receive(ctx, kind, path);
        const versionId = await watch.next(this.#options.versionTimeoutMs);
        if (versionId === undefined) throw new GatewayError(400, 'Version already exists or failed to be extracted');
        sendData(ctx, versionId);
      } finally {
        await watch.dispose();
      }
    } finally {
      this.#busy = false;
    }
  }

  /** Streams the body (or its first file part) to a new file `path`; removes it on any failure. */
  async #receive(ctx: Context, kind: 'raw' | 'multipart', path: string): Promise<void> {
    // The multipart parser is loaded at the first multipart upload (an idle gateway does not hold
    // it), before anything reads the body.
    const busboy = kind === 'multipart' ? (await import('busboy')).default : undefined;
    const file = await createImageFile(path);
    // The client may now send the body (it waited for this if it sent Expect: 100-continue).
    continueBody(ctx.req, ctx.res);
    // A silent client cuts the upload: the raw path destroys its size limiter, the multipart path
    // its parser (which fails the file part); either way the write fails with the 408.
    const idle = new AbortController();
    const stopWatching = watchIdle(ctx.req, this.#options.idleTimeoutMs, () => {
      ctx.set('Connection', 'close');
      ctx.req.unpipe();
      idle.abort(new GatewayError(408, `The upload sent nothing for ${this.#options.idleTimeoutMs} ms; the partial image was removed`));
    });
    try {
      if (busboy === undefined) await this.#writeStream(ctx, ctx.req, file, idle.signal);
      else await this.#writeMultipart(ctx, file, idle.signal, busboy);
    } catch (err) {
      await file.close().catch(() => undefined);
      await unlink(path).catch(() => undefined);
      if (err instanceof GatewayError) throw err;
      if (ctx.req.aborted || (err as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') {
        throw new GatewayError(400, 'The upload was aborted before the image was complete', { cause: err });
      }
      throw new GatewayError(500, 'Could not store the image', { cause: err });
    } finally {
      stopWatching();
    }
  }

  /** `cut`: aborting it fails the write with its reason. */
  async #writeStream(ctx: Context, source: Readable, file: FileHandle, cut?: AbortSignal): Promise<void> {
    let size = 0;
    const limit = new Transform({
      transform: (chunk: Buffer, _encoding, callback) => {
        size += chunk.length;
        if (size > this.#options.maxBytes) callback(this.#tooLarge(ctx));
        else callback(null, chunk);
      },
    });
    const written = pipeline(limit, createWriteStream('', { fd: file }));
    // The source is piped by hand, not put into pipeline(): pipeline destroys
    // every stream on an error, and destroying the IncomingMessage on the size
    // limit would detach its socket (req.socket = null) before the 413 is
    // sent, so the audit middleware could not read the client address and Koa
    // would answer a plain-text 500 instead of the 413 envelope. The request
    // is only unpiped; the 413 carries Connection: close and Node drops the rest.
    // A source that fails or closes early (client abort) still fails the write.
    const read = finished(source).catch((err: unknown) => {
      limit.destroy(err as Error);
      throw err;
    });
    cut?.addEventListener('abort', () => limit.destroy(cut.reason as Error), { once: true });
    source.pipe(limit);
    // Only `written` is awaited: it settles once the file is closed, also when the source failed
    // (which destroys `limit`), so the caller's unlink cannot race a file still being opened. The
    // source itself may never end after a 413 (it is left unread).
    read.catch(() => undefined);
    await written;
  }

  async #writeMultipart(ctx: Context, file: FileHandle, cut: AbortSignal, busboy: typeof Busboy): Promise<void> {
    let parser: Busboy.Busboy;
    try {
      parser = busboy({ headers: ctx.req.headers, limits: { files: 1, fields: 16, parts: 32, fileSize: this.#options.maxBytes } });
    } catch (err) {
      throw new GatewayError(400, `Malformed multipart request: ${(err as Error).message}`);
    }
    const written = new Promise<boolean>((resolve, reject) => {
      let sawFile = false;
      parser.on('file', (_field, part) => {
        if (sawFile) {
          part.resume();
          return;
        }
        sawFile = true;
        part.on('limit', () => part.destroy(this.#tooLarge(ctx)));
        this.#writeStream(ctx, part, file).then(() => resolve(true), reject);
      });
      // Once a file part is being written, its stream reports the failure (the parser destroys it).
      parser.on('error', (err: Error) => {
        if (!sawFile) reject(err instanceof GatewayError ? err : new GatewayError(400, `Malformed multipart request: ${err.message}`));
      });
      parser.on('close', () => {
        if (!sawFile) resolve(false);
      });
      // pipe() does not pass a client abort (or the idle timeout) on to busboy, whose file stream
      // would then wait forever and hold the upload slot: destroy the parser, which fails the file.
      const abandon = (err: Error) => {
        ctx.req.unpipe(parser);
        parser.destroy(err);
      };
      finished(ctx.req).catch(abandon);
      cut.addEventListener('abort', () => abandon(cut.reason as Error), { once: true });
    });
    ctx.req.pipe(parser);
    if (!(await written)) throw new GatewayError(400, 'Expecting a file part in the multipart/form-data body');
  }

  #tooLarge(ctx: Context): GatewayError {
    ctx.set('Connection', 'close');
    return new GatewayError(413, `Image larger than the limit of ${this.#options.maxBytes} bytes`);
  }
}

/** Creates the image file; 409 when the name exists in any form (file, directory, link). */
async function createImageFile(path: string): Promise<FileHandle> {
  try {
    return await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ELOOP' || code === 'EISDIR') {
      const name = path.slice(path.lastIndexOf('/') + 1);
      throw new GatewayError(409, `An image named '${name}' already exists in the image directory; choose another name`);
    }
    throw new GatewayError(500, 'Could not store the image', { cause: err });
  }
}

/** Calls `onIdle` once if `source` delivers no data for `ms` (it must be flowing: piped). */
function watchIdle(source: Readable, ms: number, onIdle: () => void): () => void {
  const timer = setTimeout(onIdle, ms);
  const onData = () => timer.refresh();
  source.on('data', onData);
  return () => {
    clearTimeout(timer);
    source.off('data', onData);
  };
}

function bodyKind(contentType: string): 'raw' | 'multipart' {
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === 'application/octet-stream') return 'raw';
  if (type === 'multipart/form-data') return 'multipart';
  throw errors.unsupportedMediaType('application/octet-stream', contentType);
}
