import { randomBytes, randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PipelineError } from '../../src/shared/pipeline-error.ts';
import { assertSafeKey, storageKeyFor } from '../../src/storage/storage-key.ts';

const SAFE = /^[A-Za-z0-9_./-]+$/;
const when = new Date('2026-03-01T10:00:00Z');
const pnid = '106540352242922';

/** Random text drawn from ASCII, Latin-1, CJK, emoji and the characters wamids and paths are made of. */
function randomText(): string {
  const pools = ['abcXYZ019', '=+/._-', ' \\:*?"<>|%\u0000\n\t', 'éüßñ', '日本語中文', '😀👍🏽👨‍👩‍👧', '\u202e\u200b\ufeff'];
  const length = randomInt(1, 160);
  let text = '';
  for (let i = 0; i < length; i += 1) {
    const pool = [...pools[randomInt(pools.length)]!];
    text += pool[randomInt(pool.length)];
  }
  return text;
}

describe('storageKeyFor', () => {
  it('builds {phoneNumberId}/{yyyy}/{mm}/{dd}/{wamid}-{hash}.{ext}', () => {
    const key = storageKeyFor({ wamid: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=', phoneNumberId: pnid, messageTimestamp: when }, 'jpg');
    expect(key).toBe('106540352242922/2026/03/01/wamid_HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA_-cd3f8a33a571b9a7.jpg');
  });

  it('gives every photo of an album its own key, though they share sender and second', () => {
    const album = Array.from({ length: 10 }, (_, i) => ({ wamid: `wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQz${i}==`, phoneNumberId: pnid, messageTimestamp: when }));
    expect(new Set(album.map((m) => storageKeyFor(m, 'jpg'))).size).toBe(10);
  });

  it('keeps wamids apart that sanitise to the same text', () => {
    const wamids = ['wamid.a=b', 'wamid.a+b', 'wamid.a/b', 'wamid.a.b', 'wamid.a_b', 'wamid_a_b', 'wamid.a b', 'wamid.aéb'];
    const keys = wamids.map((wamid) => storageKeyFor({ wamid, phoneNumberId: pnid, messageTimestamp: when }, 'jpg'));
    expect(new Set(keys).size).toBe(wamids.length);
  });

  it('truncates long wamids but keeps ones that differ only past the cut apart', () => {
    const stem = `wamid.${'A'.repeat(200)}`;
    const a = storageKeyFor({ wamid: `${stem}1`, messageTimestamp: when }, 'jpg');
    const b = storageKeyFor({ wamid: `${stem}2`, messageTimestamp: when }, 'jpg');
    expect(a).not.toBe(b);
    expect(fileStem(a).length).toBe(80 + 1 + 16);
  });

  it('uses only safe characters for hundreds of random wamids, deterministically', () => {
    for (let i = 0; i < 500; i += 1) {
      const media = { wamid: randomText(), phoneNumberId: i % 3 === 0 ? randomText() : undefined, messageTimestamp: new Date(randomInt(0, 4_102_444_800) * 1000) };
      const key = storageKeyFor(media, 'webp', i % 2 === 0 ? 'original' : undefined);
      expect(key).toMatch(SAFE);
      expect(() => assertSafeKey(key)).not.toThrow();
      expect(storageKeyFor({ ...media }, 'webp', i % 2 === 0 ? 'original' : undefined)).toBe(key);
    }
  });

  it('gives random distinct wamids distinct keys', () => {
    const wamids = new Set(Array.from({ length: 500 }, () => `wamid.${randomBytes(randomInt(1, 30)).toString('base64')}`));
    const keys = new Set([...wamids].map((wamid) => storageKeyFor({ wamid, messageTimestamp: when }, 'jpg')));
    expect(keys.size).toBe(wamids.size);
  });

  it("falls back to 'unknown' without a phone number id, and dates in UTC from the message", () => {
    const key = storageKeyFor({ wamid: 'w', messageTimestamp: new Date('2026-12-31T23:59:59Z') }, 'JPG');
    expect(key).toMatch(/^unknown\/2026\/12\/31\/w-[0-9a-f]{16}\.jpg$/);
    expect(storageKeyFor({ wamid: 'w', phoneNumberId: '', messageTimestamp: when }, 'jpg')).toMatch(/^unknown\//);
  });

  it('marks the original variant, which never equals the processed key', () => {
    const media = { wamid: 'wamid.x', phoneNumberId: pnid, messageTimestamp: when };
    const processed = storageKeyFor(media, 'jpg');
    const original = storageKeyFor(media, 'jpg', 'original');
    expect(original).toBe(processed.replace(/\.jpg$/, '.original.jpg'));
  });

  it('refuses an unusable extension, an empty wamid or an invalid date', () => {
    const media = { wamid: 'wamid.x', messageTimestamp: when };
    for (const extension of ['', '../jpg', 'j/pg', 'j.pg', 'jpg ', 'x'.repeat(11), 'jpé']) {
      expect(() => storageKeyFor(media, extension)).toThrow(PipelineError);
    }
    expect(() => storageKeyFor({ wamid: '', messageTimestamp: when }, 'jpg')).toThrow(/wamid/);
    expect(() => storageKeyFor({ wamid: 'w', messageTimestamp: new Date(Number.NaN) }, 'jpg')).toThrow(/timestamp/);
  });
});

describe('assertSafeKey', () => {
  it.each([
    '../x', '/etc/passwd', 'a/../../b', 'a/./b', '..', '.', '', 'a//b', 'a/', '/a', 'a\u0000b', 'a b', 'ünï', '😀',
    'a\\b', '.hidden', 'a/.b', 'C:x', 'x'.repeat(1025), `${'s'.repeat(201)}/x`,
  ])('rejects %j', (key) => {
    expect(() => assertSafeKey(key)).toThrow(expect.objectContaining({ code: 'invalid_storage_key', retryable: false }));
  });

  it.each(['a', 'a/b/c.jpg', '123/2026/03/01/wamid_x-0123456789abcdef.original.png', 'a-b_c.d.e', 'x..y'])('accepts %j', (key) => {
    expect(() => assertSafeKey(key)).not.toThrow();
  });
});

function fileStem(key: string): string {
  const last = key.split('/').at(-1)!;
  return last.slice(0, last.indexOf('.'));
}
