import { createHash } from 'node:crypto';
import { permanent } from '../shared/pipeline-error.ts';

export interface KeySource {
  wamid: string;
  phoneNumberId?: string | undefined;
  messageTimestamp: Date;
}

const WAMID_PART_MAX = 80;
const KEY_MAX = 1024;
// File systems cap a name at 255 bytes; stores add a prefix and suffix for temporary and sidecar files.
const SEGMENT_MAX = 200;
const SAFE_KEY = /^[A-Za-z0-9_./-]+$/;
const EXTENSION = /^[A-Za-z0-9]{1,10}$/;

/**
 * The blob key of one media message:
 * `{phoneNumberId|unknown}/{yyyy}/{mm}/{dd}/{wamid sanitised, ≤80}-{16 hex of sha256(wamid)}[.original].{ext}`.
 *
 * Only the wamid makes it unique: album photos share sender and timestamp second. Sanitising is lossy
 * (`=`, `+`, `/`, `.` all become `_`), so the hash of the exact wamid keeps two such wamids apart. The date
 * (UTC, from the message) and the readable prefix are there so a person browsing the bucket can find things.
 */
export function storageKeyFor(media: KeySource, extension: string, variant?: 'original'): string {
  if (media.wamid.length === 0) throw permanent('invalid_storage_key', 'Cannot build a storage key without a wamid');
  if (!EXTENSION.test(extension)) {
    throw permanent('invalid_storage_key', `Unusable file extension for a storage key: ${JSON.stringify(extension)}`);
  }
  const time = media.messageTimestamp;
  if (Number.isNaN(time.getTime())) throw permanent('invalid_storage_key', `Message ${media.wamid} has no valid timestamp`);
  const owner = sanitise(media.phoneNumberId ?? '') || 'unknown';
  const yyyy = String(time.getUTCFullYear()).padStart(4, '0');
  const mm = String(time.getUTCMonth() + 1).padStart(2, '0');
  const dd = String(time.getUTCDate()).padStart(2, '0');
  const hash = createHash('sha256').update(media.wamid, 'utf8').digest('hex').slice(0, 16);
  const name = `${sanitise(media.wamid).slice(0, WAMID_PART_MAX)}-${hash}`;
  const suffix = variant === 'original' ? `.original.${extension.toLowerCase()}` : `.${extension.toLowerCase()}`;
  const key = `${owner}/${yyyy}/${mm}/${dd}/${name}${suffix}`;
  assertSafeKey(key);
  return key;
}

function sanitise(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]/g, '_');
}

/**
 * Every key a blob store touches passes here first. Keys are relative paths of `[A-Za-z0-9_./-]`
 * segments; no segment may be empty or start with a dot, which rules out `.`/`..` traversal and leaves
 * dot-names free for a store's own temporary and sidecar files.
 */
export function assertSafeKey(key: string): void {
  const reject = (why: string): never => {
    throw permanent('invalid_storage_key', `Unsafe storage key ${JSON.stringify(key.slice(0, 200))}: ${why}`);
  };
  if (typeof key !== 'string' || key.length === 0) reject('empty');
  if (key.length > KEY_MAX) reject(`longer than ${KEY_MAX} characters`);
  if (!SAFE_KEY.test(key)) reject('only A-Z a-z 0-9 _ . / - are allowed');
  for (const segment of key.split('/')) {
    if (segment.length === 0) reject('empty path segment (leading, trailing or double slash)');
    if (segment.startsWith('.')) reject('a path segment starts with a dot');
    if (segment.length > SEGMENT_MAX) reject(`a path segment is longer than ${SEGMENT_MAX} characters`);
  }
}
