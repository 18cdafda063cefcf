import { randomBytes } from 'node:crypto';
import { lstat, mkdir, open, readFile, rename, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import { permanent, transient, type PipelineError } from '../shared/pipeline-error.ts';
import type { BlobStore } from './blob-store.ts';
import { assertSafeKey } from './storage-key.ts';

/**
 * Blobs as plain files under one root, so the vault can be browsed and backed up with ordinary tools.
 * The content type lives in a hidden sidecar beside each file (`.{name}.meta.json`): it keeps whatever the
 * caller said, even where the extension would guess differently. Files without a sidecar (copied in by
 * hand) get a type from their extension. Key segments never start with a dot (assertSafeKey), so the
 * store's own dot-files can never collide with a key.
 */
export class LocalBlobStore implements BlobStore {
  readonly root: string;

  constructor(rootDir: string) {
    this.root = path.resolve(rootDir);
  }

  async put(key: string, bytes: Buffer, contentType: string): Promise<void> {
    const file = this.#fileOf(key);
    if (!/^[\x21-\x7e][\x20-\x7e]{0,254}$/.test(contentType)) {
      throw permanent('invalid_content_type', `Unusable content type for ${key}: ${JSON.stringify(contentType)}`);
    }
    try {
      // Customers' photos: folders and files are the service user's alone.
      await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
      // Sidecar first: whenever the new bytes are visible, their type already is.
      await writeAtomically(sidecarOf(file), Buffer.from(JSON.stringify({ contentType })));
      await writeAtomically(file, bytes);
    } catch (error) {
      throw fsError('blob_write_failed', `Could not write blob ${key}`, error);
    }
  }

  async get(key: string): Promise<{ bytes: Buffer; contentType: string }> {
    const file = this.#fileOf(key);
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (error) {
      if (isMissing(error)) throw permanent('blob_not_found', `No blob stored at ${key}`, error);
      throw fsError('blob_read_failed', `Could not read blob ${key}`, error);
    }
    return { bytes, contentType: (await readSidecar(file)) ?? contentTypeFromExtension(key) };
  }

  async exists(key: string): Promise<boolean> {
    return (await statFile(this.#fileOf(key))) !== undefined;
  }

  async delete(key: string): Promise<void> {
    const file = this.#fileOf(key);
    // Only regular files: a key that names a directory of other blobs has no blob to delete.
    const present = await statFile(file);
    try {
      if (present) await unlink(file).catch(ignoreMissing);
      await unlink(sidecarOf(file)).catch(ignoreMissing);
    } catch (error) {
      throw fsError('blob_delete_failed', `Could not delete blob ${key}`, error);
    }
  }

  describe(): string {
    return `local disk at ${this.root}`;
  }

  /** The one place a key becomes a path: the key's own rules, then a check that it stays under the root. */
  #fileOf(key: string): string {
    assertSafeKey(key);
    const file = path.resolve(this.root, ...key.split('/'));
    if (!file.startsWith(this.root + path.sep)) {
      throw permanent('invalid_storage_key', `Storage key ${JSON.stringify(key)} leaves the store's root`);
    }
    return file;
  }
}

/** Write to a temporary file in the same directory, flush, then rename: readers see all or nothing. */
async function writeAtomically(target: string, bytes: Buffer): Promise<void> {
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(bytes);
      // The catalog marks the row stored right after this; the bytes must survive a power cut by then.
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncDirectory(path.dirname(target));
}

/** Makes the rename itself durable. Some platforms cannot fsync a directory; the data is synced already. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => undefined);
  if (!handle) return;
  try {
    await handle.sync().catch(() => undefined);
  } finally {
    await handle.close();
  }
}

function sidecarOf(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.meta.json`);
}

async function readSidecar(file: string): Promise<string | undefined> {
  try {
    const parsed: unknown = JSON.parse(await readFile(sidecarOf(file), 'utf8'));
    const contentType = (parsed as { contentType?: unknown } | null)?.contentType;
    return typeof contentType === 'string' && contentType.length > 0 ? contentType : undefined;
  } catch {
    return undefined;
  }
}

const TYPES_BY_EXTENSION: Record<string, string> = {
  jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp', avif: 'image/avif',
  gif: 'image/gif', heic: 'image/heic', heif: 'image/heif', tif: 'image/tiff', tiff: 'image/tiff',
};

function contentTypeFromExtension(key: string): string {
  const extension = path.extname(key).slice(1).toLowerCase();
  return TYPES_BY_EXTENSION[extension] ?? 'application/octet-stream';
}

async function statFile(file: string): Promise<true | undefined> {
  try {
    return (await lstat(file)).isFile() ? true : undefined;
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw fsError('blob_read_failed', `Could not look up ${file}`, error);
  }
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null)?.code;
}

/** ENOTDIR/EISDIR: the key runs through, or names, something that is not a blob — still "not there". */
function isMissing(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}

function ignoreMissing(error: unknown): void {
  if (!isMissing(error)) throw error;
}

/**
 * Disk faults count as transient: a full disk, a permission or a root that is not a directory are fixed
 * by an operator, and the dispatcher gives up after its attempts anyway. (Our keys cannot clash with each
 * other's directories: folders are numbers, files carry an extension.)
 */
function fsError(code: string, message: string, error: unknown): PipelineError {
  return transient(code, `${message}: ${error instanceof Error ? error.message : String(error)}`, error);
}
