import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** ../shared/fixtures, read-only test data beside the repository (FIXTURES_DIR points elsewhere). */
export const FIXTURES = process.env.FIXTURES_DIR ?? path.resolve(import.meta.dirname, '../../../shared/fixtures');

export function fixturePath(relative: string): string {
  return path.join(FIXTURES, relative);
}

export function webhookFixture(name: string): string {
  return readFileSync(path.join(FIXTURES, 'webhooks', `${name}.json`), 'utf8');
}

export function webhookFixtureJson(name: string): unknown {
  return JSON.parse(webhookFixture(name));
}

/**
 * A fixture with every message's wamid replaced by a fresh one, so one catalog can take the same fixture
 * many times. Returns the body and the new message wamids in order.
 */
export function freshFixture(name: string): { body: string; wamids: string[] } {
  const payload = JSON.parse(webhookFixture(name)) as { entry: { changes: { value: { messages?: { id: string }[] } }[] }[] };
  const wamids: string[] = [];
  for (const message of payload.entry.flatMap((e) => e.changes.flatMap((c) => c.value.messages ?? []))) {
    message.id = `wamid.T${randomBytes(12).toString('base64')}`;
    wamids.push(message.id);
  }
  return { body: JSON.stringify(payload, null, 1), wamids };
}
