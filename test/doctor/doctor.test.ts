import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
import { runDoctor } from '../../src/doctor/run-doctor.ts';
import { ANON_KEY, startSupabaseProject, type SupabaseProject } from '../support/supabase-project.ts';

const BASE = { APP_SECRET: 'secret', WEBHOOK_VERIFY_TOKEN: 'verify', WHATSAPP_ACCESS_TOKEN: 'token' };
let project: SupabaseProject;
let dataDir: string;

beforeAll(async () => {
  project = await startSupabaseProject();
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'mv-doctor-'));
});
afterAll(async () => {
  await project?.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function doctor(env: Record<string, string>) {
  const lines: string[] = [];
  const code = await runDoctor(loadConfig({ DATA_DIR: dataDir, ...env }), (line) => lines.push(line));
  return { code, lines, line: (name: string) => lines.find((l) => l.slice(2).startsWith(`${name}:`)) ?? `(no ${name} line)` };
}

describe('media-vault doctor (contract: fake Supabase server over real PostgreSQL)', () => {
  it('passes on a correctly set-up Supabase project, one line per check', async () => {
    const result = await doctor({ ...BASE, ...project.env });
    expect(result.code).toBe(0);
    for (const name of ['app secret', 'verify token', 'Graph access token', 'Supabase key', 'catalog', 'storage', 'write and read back', 'signed URL', 'delete']) {
      expect(result.line(name)).toMatch(/^✓ /);
    }
    expect(result.lines.at(-1)).toBe('All checks passed.');
    expect([...(project.fake.storage.buckets.get('whatsapp-images')?.objects.keys() ?? [])].filter((k) => k.startsWith('_doctor'))).toEqual([]);
  });

  it('passes on the embedded defaults (PGlite and local disk)', async () => {
    const result = await doctor(BASE);
    expect(result.code).toBe(0);
    expect(result.line('catalog')).toMatch(/^✓ catalog: pglite/);
    expect(result.line('write and read back')).toMatch(/^✓ /);
  });

  it('fails on missing Meta settings and says where to find them', async () => {
    const result = await doctor({});
    expect(result.code).toBe(1);
    expect(result.line('app secret')).toMatch(/^✗ .*App settings → Basic/);
    expect(result.line('Graph access token')).toMatch(/^✗ .*GRAPH_STANDIN=true/);
    expect(result.line('verify token')).toMatch(/^! /);
  });

  it('fails on the anon key and names the key to use', async () => {
    const result = await doctor({ ...BASE, ...project.env, SUPABASE_KEY: ANON_KEY });
    expect(result.code).toBe(1);
    expect(result.line('Supabase key')).toMatch(/^✗ .*anon key.*service_role/);
  });

  it('fails when the table is missing and points at the SQL file', async () => {
    const client = new pg.Client({ connectionString: project.database.url });
    await client.connect();
    await client.query('alter table image_metadata rename to image_metadata_away');
    await project.fake.rest.reloadSchema();
    try {
      const result = await doctor({ ...BASE, ...project.env });
      expect(result.code).toBe(1);
      expect(result.line('catalog')).toMatch(/^✗ .*sql\/supabase-setup\.sql/);
    } finally {
      await client.query('alter table image_metadata_away rename to image_metadata');
      await client.end();
      await project.fake.rest.reloadSchema();
    }
  });

  it('fails when the bucket is missing or public, with the fix', async () => {
    const bucket = project.fake.storage.buckets.get('whatsapp-images');
    project.fake.storage.buckets.delete('whatsapp-images');
    try {
      const missing = await doctor({ ...BASE, ...project.env });
      expect(missing.code).toBe(1);
      expect(missing.line('storage')).toMatch(/^✗ .*SUPABASE_CREATE_BUCKET/);
      project.fake.storage.createBucket('whatsapp-images', { public: true });
      const open = await doctor({ ...BASE, ...project.env });
      expect(open.line('storage')).toMatch(/^✗ .*public/i);
    } finally {
      if (bucket) project.fake.storage.buckets.set('whatsapp-images', bucket);
    }
  });

  it('fails when an object cannot be written, and when the signed URL does not serve it', async () => {
    project.fake.storage.failNext(1, '500', { method: 'POST', path: /^\/object\/whatsapp-images\// });
    const write = await doctor({ ...BASE, ...project.env });
    expect(write.code).toBe(1);
    expect(write.line('write and read back')).toMatch(/^✗ /);
    project.fake.storage.failNext(1, '500', { method: 'GET', path: /^\/object\/sign\// });
    const sign = await doctor({ ...BASE, ...project.env });
    expect(sign.code).toBe(1);
    expect(sign.line('signed URL')).toMatch(/^✗ .*answered 500/);
  });
});
