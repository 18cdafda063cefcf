import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import type { MediaRecord } from '../../catalog/media-record.ts';
import { loadConfig } from '../../config/load-config.ts';
import { createLogger } from '../../shared/logger.ts';
import { buildMediaWebhook, type OutgoingMedia } from '../../whatsapp/webhook-builder.ts';
import { createService, type Service } from '../compose.ts';
import { renderMediaTable } from '../media-table.ts';
import { postSigned } from '../send.ts';
import { makeSampleImages } from './sample-images.ts';

type DemoItem = Omit<OutgoingMedia, 'mediaId'> & { label: string; albumGroup?: string };

/**
 * The whole pipeline on the embedded defaults: local disk, PGlite, in-process workers and the Graph
 * stand-in. Real signed webhooks go through the real HTTP endpoint; nothing is faked past the network.
 */
export async function runDemo(env: Record<string, string | undefined>, files: readonly string[]): Promise<number> {
  const dataDir = path.resolve(env.DATA_DIR ?? './data', 'demo');
  const appSecret = randomBytes(16).toString('hex');
  const config = loadConfig({
    ...env,
    DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    PORT: '0',
    GRAPH_STANDIN: 'true',
    GRAPH_STANDIN_MEDIA_MAP: '',
    WHATSAPP_ACCESS_TOKEN: '',
    APP_SECRET: appSecret,
    CATALOG: 'pglite',
    DATABASE_URL: '',
    LOG_LEVEL: env.LOG_LEVEL ?? 'error',
  });
  const items: DemoItem[] = files.length > 0 ? await readUserFiles(files) : await makeSampleImages();
  console.log(`Demo: ${items.length} image(s) → signed webhooks → Graph stand-in → sharp → ${path.join(dataDir, 'media')}`);

  const service = await createService(config, createLogger(config.logLevel));
  try {
    const baseUrl = await service.start();
    const sentAt = new Map<string, number>();
    for (const group of groupForPosts(items)) {
      const outgoing = group.map((item, i) => ({ ...item, mediaId: `demo-${Date.now()}-${sentAt.size + i}` }));
      for (const item of outgoing) service.standin?.standin.addMedia(item.mediaId, { bytes: item.bytes, mimeType: item.mimeType });
      const { body, wamids } = buildMediaWebhook(outgoing, { from: '5511987654321', phoneNumberId: '100000000000001' });
      const started = performance.now();
      const answer = await postSigned(`${baseUrl}/webhook`, Buffer.from(body), appSecret);
      if (answer.status !== 200) throw new Error(`The webhook answered ${answer.status}: ${answer.body}`);
      for (const wamid of wamids) sentAt.set(wamid, started);
    }
    const finished = await waitForFinalStates(service, [...sentAt.keys()], 120_000);
    const rows = [...sentAt.keys()].map((wamid) => {
      const record = finished.get(wamid);
      if (!record) throw new Error(`No catalog row for ${wamid}`);
      return { record, seconds: ((finished.finishedAt.get(wamid) ?? 0) - (sentAt.get(wamid) ?? 0)) / 1000 };
    });
    console.log(`\n${renderMediaTable(rows)}\n`);
    const stored = rows.filter((r) => r.record.status === 'stored');
    console.log(`${stored.length} of ${rows.length} stored under ${path.join(dataDir, 'media')}`);
    console.log(await metadataCheck(service, stored.map((r) => r.record)));
    return files.length > 0 || stored.length === rows.length ? 0 : 1;
  } finally {
    await service.stop();
  }
}

async function readUserFiles(files: readonly string[]): Promise<DemoItem[]> {
  const byExtension: Record<string, string> = { '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.png': 'image/png', '.webp': 'image/webp', '.gif': 'image/gif', '.heic': 'image/heic' };
  return Promise.all(
    files.map(async (file) => ({
      label: path.basename(file),
      type: 'image' as const,
      bytes: await readFile(file),
      mimeType: byExtension[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
    })),
  );
}

/** Album photos travel in one POST with one shared timestamp, as WhatsApp sends them; the rest one by one. */
function groupForPosts(items: readonly DemoItem[]): DemoItem[][] {
  const groups = new Map<string, DemoItem[]>();
  items.forEach((item, i) => {
    const key = item.albumGroup ?? `single-${i}`;
    groups.set(key, [...(groups.get(key) ?? []), item]);
  });
  return [...groups.values()];
}

async function waitForFinalStates(service: Service, wamids: string[], timeoutMs: number) {
  const records = new Map<string, MediaRecord>();
  const finishedAt = new Map<string, number>();
  const deadline = performance.now() + timeoutMs;
  while (finishedAt.size < wamids.length) {
    if (performance.now() > deadline) throw new Error(`Timed out: ${wamids.length - finishedAt.size} image(s) still not stored or failed.`);
    for (const wamid of wamids) {
      if (finishedAt.has(wamid)) continue;
      const record = await service.catalog.get(wamid);
      if (record && (record.status === 'stored' || record.status === 'failed')) {
        records.set(wamid, record);
        finishedAt.set(wamid, performance.now());
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return Object.assign(records, { finishedAt });
}

/** Reads every stored image back and says what metadata survived (the answer should be: none). */
async function metadataCheck(service: Service, records: MediaRecord[]): Promise<string> {
  let withExif = 0;
  for (const record of records) {
    if (!record.storagePath) continue;
    const { bytes } = await service.blobs.get(record.storagePath);
    const meta = await sharp(bytes).metadata();
    if (meta.exif || meta.xmp || meta.iptc) withExif += 1;
  }
  return withExif === 0
    ? `Read back: no EXIF, GPS or XMP in any of the ${records.length} stored image(s); orientation applied before storing.`
    : `WARNING: ${withExif} stored image(s) still carry metadata.`;
}
