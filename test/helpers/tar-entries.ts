/**
 * Builds a tar archive entry by entry, for archives no well-behaved tool
 * writes: members named `../x` or `/abs`, symlinks and hard links pointing
 * out of the archive, files written through such a link. Each member is a
 * ustar header (tar's Header class) and its data padded to 512 bytes.
 */
import { Header } from 'tar';

export interface TarEntry {
  readonly path: string;
  readonly type: 'File' | 'Directory' | 'SymbolicLink' | 'Link';
  readonly linkpath?: string;
  readonly body?: string;
}

const BLOCK = 512;

export function rawTar(entries: readonly TarEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const body = Buffer.from(entry.body ?? '');
    const header = Buffer.alloc(BLOCK);
    new Header({
      path: entry.path,
      type: entry.type,
      ...(entry.linkpath !== undefined ? { linkpath: entry.linkpath } : {}),
      size: entry.type === 'File' ? body.length : 0,
      mode: entry.type === 'Directory' ? 0o755 : 0o644,
      uid: 0, gid: 0, mtime: new Date(0),
    }).encode(header, 0);
    blocks.push(header);
    if (entry.type === 'File' && body.length > 0) {
      blocks.push(body, Buffer.alloc((BLOCK - (body.length % BLOCK)) % BLOCK));
    }
  }
  blocks.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(blocks);
}
