import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { escapeNonAscii, signBody, verifySignature } from '../../src/ingress/signature.ts';

// DESIGN.md §3 test vector.
const SECRET = 'test_app_secret';
const BODY = '{"object":"whatsapp_business_account","entry":[{"changes":[{"value":{"messages":[{"text":{"body":"café 👍"}}]}}]}]}';
const RAW_DIGEST = '0691e0040f564d6281252d3acae5e345f497aa906dd62aa0f2280a9d50f8148e';
const ESCAPED_DIGEST = '282c06ee38281a3b352f63c40cb9a4ae19ec3ae1a1eed1b2485fb35bfd78eadd';

describe('webhook signature (X-Hub-Signature-256)', () => {
  it('matches the published vector over the raw UTF-8 bytes', () => {
    expect(signBody(BODY, SECRET)).toBe(`sha256=${RAW_DIGEST}`);
    expect(verifySignature(Buffer.from(BODY), `sha256=${RAW_DIGEST}`, [SECRET])).toBe('valid');
  });

  it('accepts a signature Meta computed over the escaped-unicode form while the body came as UTF-8', () => {
    expect(escapeNonAscii(BODY)).toContain('caf\\u00e9 \\ud83d\\udc4d');
    expect(verifySignature(Buffer.from(BODY), `sha256=${ESCAPED_DIGEST}`, [SECRET])).toBe('valid');
  });

  it('accepts the escaped body itself, as Meta normally sends it', () => {
    const escaped = Buffer.from(escapeNonAscii(BODY));
    expect(verifySignature(escaped, `sha256=${ESCAPED_DIGEST}`, [SECRET])).toBe('valid');
  });

  it('treats header case of the hex digest and surrounding spaces leniently but nothing else', () => {
    expect(verifySignature(Buffer.from(BODY), ` sha256=${RAW_DIGEST.toUpperCase()} `, [SECRET])).toBe('valid');
    expect(verifySignature(Buffer.from(BODY), RAW_DIGEST, [SECRET])).toBe('mismatch');
    expect(verifySignature(Buffer.from(BODY), `sha1=${RAW_DIGEST}`, [SECRET])).toBe('mismatch');
    expect(verifySignature(Buffer.from(BODY), 'sha256=abc', [SECRET])).toBe('mismatch');
  });

  it('rejects a wrong secret', () => {
    expect(verifySignature(Buffer.from(BODY), signBody(BODY, 'another_secret'), [SECRET])).toBe('mismatch');
  });

  it('reports a missing header separately (401, not 403)', () => {
    expect(verifySignature(Buffer.from(BODY), undefined, [SECRET])).toBe('missing');
    expect(verifySignature(Buffer.from(BODY), '', [SECRET])).toBe('missing');
  });

  it('rejects a re-serialised body: the signature covers the bytes, not the JSON value', () => {
    const pretty = JSON.stringify(JSON.parse(BODY), null, 2);
    expect(verifySignature(Buffer.from(pretty), `sha256=${RAW_DIGEST}`, [SECRET])).toBe('mismatch');
  });

  it('accepts any of several app secrets (rotation, several apps)', () => {
    const secrets = ['old_secret', SECRET];
    expect(verifySignature(Buffer.from(BODY), `sha256=${RAW_DIGEST}`, secrets)).toBe('valid');
    expect(verifySignature(Buffer.from(BODY), signBody(BODY, 'old_secret'), secrets)).toBe('valid');
    expect(verifySignature(Buffer.from(BODY), signBody(BODY, 'third'), secrets)).toBe('mismatch');
  });

  it('rejects everything when no secret is configured', () => {
    expect(verifySignature(Buffer.from(BODY), `sha256=${RAW_DIGEST}`, [])).toBe('mismatch');
  });

  // Regression: the reference code split the header on "=" and compared the resulting list with the
  // digest, so no POST ever passed. Here a correct header passes and the bare digest does not.
  it('does not compare the split header list with the digest (reference fault)', () => {
    const digest = createHmac('sha256', SECRET).update(BODY).digest('hex');
    const header = `sha256=${digest}`;
    expect(verifySignature(Buffer.from(BODY), header, [SECRET])).toBe('valid');
  });
});
