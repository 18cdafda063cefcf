import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { AcceptedMedia } from '../../src/catalog/media-record.ts';

/** The real PostgreSQL the suites share; each test file works in a database of its own. */
export const BASE_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: BASE_DATABASE_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Creates `mv_test_<random>` so parallel test files never share tables. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `mv_test_${randomBytes(6).toString('hex')}`;
  await admin((client) => client.query(`create database ${name}`));
  const url = new URL(BASE_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => admin(async (client) => void (await client.query(`drop database if exists ${name} with (force)`))),
  };
}

let counter = 0;

/** A unique wamid shaped like Meta's (base64 with `=`, `+`, `/`). */
export function newWamid(): string {
  counter += 1;
  return `wamid.HBgL${randomBytes(9).toString('base64')}+/${counter}==`;
}

export function media(overrides: Partial<AcceptedMedia> = {}): AcceptedMedia {
  return {
    wamid: newWamid(),
    kind: 'image',
    mediaId: `media-${randomBytes(4).toString('hex')}`,
    announcedMimeType: 'image/jpeg',
    announcedSha256: 'J2lrOWK/uMpUH6KzT0aeA2S2WNmGCz2fdx/OGLtZ3sY=',
    mediaUrl: undefined,
    caption: undefined,
    filename: undefined,
    animated: undefined,
    forwarded: false,
    senderPhone: '15551234567',
    senderUserId: undefined,
    phoneNumberId: '106540352242922',
    wabaId: '102290129340398',
    messageTimestamp: new Date('2026-03-01T10:00:00Z'),
    metaError: undefined,
    ...overrides,
  };
}
