import { isAscii } from 'node:buffer';
import { createHmac, timingSafeEqual } from 'node:crypto';

export type SignatureVerdict = 'valid' | 'missing' | 'mismatch';

const HEADER_PATTERN = /^sha256=([0-9a-f]{64})$/i;
const ESCAPED_FORM_MAX_BYTES = 256 * 1024;

/**
 * Checks Meta's `X-Hub-Signature-256` over the raw request bytes against every configured app secret.
 * Meta signs an escaped-unicode form of the payload; it normally sends that same form, so the raw bytes
 * match. When they don't and the body holds non-ASCII bytes, the escaped form is tried as well.
 */
export function verifySignature(
  rawBody: Buffer,
  header: string | undefined,
  appSecrets: readonly string[],
): SignatureVerdict {
  if (header === undefined || header.trim() === '') return 'missing';
  const match = HEADER_PATTERN.exec(header.trim());
  if (!match?.[1] || appSecrets.length === 0) return 'mismatch';
  const received = Buffer.from(match[1].toLowerCase(), 'hex');

  const candidates = [rawBody];
  // The escaped form costs a pass over every character; real payloads are a few KB, so bigger bodies only
  // get the raw check (an unsigned 4 MB of emoji must not buy half a second of CPU per request).
  if (rawBody.length <= ESCAPED_FORM_MAX_BYTES && !isAscii(rawBody)) {
    candidates.push(Buffer.from(escapeNonAscii(rawBody.toString('utf8')), 'utf8'));
  }

  // Every secret and every form is checked, so timing does not reveal which one matched.
  let valid = false;
  for (const secret of appSecrets) {
    for (const body of candidates) {
      if (timingSafeEqual(hmacSha256(secret, body), received)) valid = true;
    }
  }
  return valid ? 'valid' : 'mismatch';
}

export function signBody(rawBody: Buffer | string, appSecret: string): string {
  return `sha256=${hmacSha256(appSecret, Buffer.from(rawBody)).toString('hex')}`;
}

/** `é` → `\u00e9`; astral characters become their surrogate pair, lowercase hex, as Meta signs them. */
export function escapeNonAscii(text: string): string {
  return text.replace(/[\u0080-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function hmacSha256(secret: string, body: Buffer): Buffer {
  return createHmac('sha256', secret).update(body).digest();
}
