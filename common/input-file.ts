import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { PolicyforgeError } from './errors.js';

export interface ReadInputOptions {
  /** Largest file accepted, in bytes; a larger one is refused before it is read. */
  maxBytes: number;
  /** Refuse a symbolic link instead of reading what it points to (a folder someone else filled). @defaultValue true */
  followSymlinks?: boolean;
}

/** Default cap of a suite, policy or skill file read from disk. */
export const INPUT_FILE_MAX_BYTES = 4 * 1024 * 1024;

/**
 * Reads a user-given file as UTF-8, refusing what would hang or exhaust memory: FIFOs, devices (/dev/zero)
 * and directories are not regular files and are refused without reading; a file over `maxBytes` is refused
 * by its size, and reading stops at the cap even when the size lied (procfs). Errors are PF_ERR_INPUT_FILE
 * naming the path (exit 2, HTTP 400).
 */
export async function readInputFile(path: string, options: ReadInputOptions): Promise<string> {
  const fail = (why: string, cause?: unknown): never => {
    throw new PolicyforgeError('PF_ERR_INPUT_FILE', [path, why], { cause });
  };
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
  const flags =
    constants.O_RDONLY | constants.O_NONBLOCK | (options.followSymlinks === false ? constants.O_NOFOLLOW : 0);
  const handle = await open(path, flags).catch((err: NodeJS.ErrnoException) =>
    fail(err.code === 'ELOOP' ? 'it is a symbolic link, which is not followed here' : (err.code ?? String(err)), err),
  );
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) fail(`it is not a regular file (${kindOf(stat)})`);
    if (stat.size > options.maxBytes) fail(`it is ${stat.size} bytes; the limit is ${options.maxBytes}`);
    const chunks: Buffer[] = [];
    let length = 0;
    for (;;) {
      const chunk = Buffer.alloc(64 * 1024);
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > options.maxBytes) fail(`it is larger than the limit of ${options.maxBytes} bytes`);
      chunks.push(chunk.subarray(0, bytesRead));
    }
    return Buffer.concat(chunks, length).toString('utf8');
  } finally {
    await handle.close();
  }
}

function kindOf(stat: {
  isDirectory(): boolean;
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
}): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  if (stat.isSocket()) return 'a socket';
  return 'not a file';
}
