import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signBody } from '../../src/ingress/signature.ts';
import { freshFixture } from '../support/fixtures.ts';
import { ACCESS_TOKEN, APP_SECRET, startHarness, VERIFY_TOKEN, type Harness } from '../support/harness.ts';

const PHONE = '5511987654321';
const lines: string[] = [];
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ LOG_LEVEL: 'trace' }, { logLines: lines });
  // A day's worth of traffic: handshake, a stored album, a failed batch, a forged POST, a fault.
  await fetch(`${h.url}/webhook?hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1`);
  await fetch(`${h.url}/webhook?hub.mode=subscribe&hub.verify_token=wrong-${VERIFY_TOKEN}&hub.challenge=1`);
  const album = freshFixture('album-three-photos');
  const bad = freshFixture('bad-media-pack');
  const caption = freshFixture('image-with-caption');
  h.standin.setFault('900000000000101', 'lookup-500', 1);
  await h.post(album.body);
  await h.post(bad.body);
  await h.post(caption.body);
  await h.post(caption.body, signBody(caption.body, 'forged'));
  await h.waitForFinal([...album.wamids, ...bad.wamids, ...caption.wamids]);
});
afterAll(async () => h?.close());

describe('logs', () => {
  it('write one structured line per state change', () => {
    const records = lines.map((line) => JSON.parse(line) as { msg: string; status?: string; wamid?: string });
    const wamid = records.find((r) => r.msg === 'media stored')?.wamid;
    expect(wamid).toBeTruthy();
    const states = records.filter((r) => r.wamid === wamid && r.status).map((r) => r.status);
    expect(states).toEqual(['received', 'processing', 'stored']);
  });

  it('never carry a secret, a token, a full phone number or a caption', () => {
    expect(lines.length).toBeGreaterThan(20);
    const all = lines.join('\n');
    for (const secret of [APP_SECRET, ACCESS_TOKEN, VERIFY_TOKEN, PHONE, 'Fotos da entrega', 'Nota fiscal do pedido']) expect(all).not.toContain(secret);
    expect(all).toContain('4321'); // the masked form is there, so the test would see a leak
  });
});
