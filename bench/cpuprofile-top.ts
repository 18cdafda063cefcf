// Summarises a V8 .cpuprofile (from `node --cpu-prof`): the top functions by self time, and self time per
// package / source folder. Usage: npm run bench -- profile <file.cpuprofile> [top=25] [fromUs] [toUs]
// fromUs/toUs keep only samples in that window of the monotonic clock (the ack figure records its load
// window that way). The profile covers the JS main thread only; libvips work on other threads is (idle).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { renderTable } from './lib/table.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** Where a frame's code lives: a package name, a src/ or bench/ folder, node's own modules, or V8's pseudo frames. */
export function areaOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('wasm://')) return 'wasm (PGlite\'s postgres)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg?.[1]) return pkg[1];
  if (url.startsWith('node:')) return 'node internals';
  const src = /\/(src|bench|test)\/(?:([^/]+)\/)?/.exec(url);
  if (src) return src[2] && !src[2].includes('.') ? `${src[1]}/${src[2]}` : (src[1] ?? url);
  return path.basename(url);
}

export async function summariseProfile(file: string, top = 25, window?: { fromUs: number; toUs: number }) {
  const profile = JSON.parse(await readFile(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  const { samples = [], timeDeltas = [] } = profile;
  // Each delta is the time until the next sample: charge it to the sample it ends.
  let at = profile.startTime;
  let totalUs = 0;
  for (let i = 0; i < samples.length; i++) {
    at += timeDeltas[i] ?? 0;
    if (window && (at < window.fromUs || at > window.toUs)) continue;
    const id = samples[i] as number;
    const us = timeDeltas[i + 1] ?? 0;
    selfUs.set(id, (selfUs.get(id) ?? 0) + us);
    totalUs += us;
  }
  const functions = new Map<string, { us: number; area: string }>();
  const areas = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const area = areaOf(url, functionName);
    const key = url ? `${functionName || '(anonymous)'} ${path.basename(url)}:${lineNumber + 1}` : functionName || '(anonymous)';
    const entry = functions.get(key) ?? { us: 0, area };
    entry.us += us;
    functions.set(key, entry);
    areas.set(area, (areas.get(area) ?? 0) + us);
  }
  const pct = (us: number) => `${((us / totalUs) * 100).toFixed(1)} %`;
  const ms = (us: number) => `${(us / 1000).toFixed(0)} ms`;
  const topFunctions = [...functions].sort((a, b) => b[1].us - a[1].us).slice(0, top);
  const topAreas = [...areas].sort((a, b) => b[1] - a[1]).slice(0, 15);
  return {
    totalMs: totalUs / 1000,
    functions: topFunctions.map(([name, e]) => ({ name, area: e.area, selfMs: e.us / 1000, share: e.us / totalUs })),
    areas: topAreas.map(([area, us]) => ({ area, selfMs: us / 1000, share: us / totalUs })),
    text: [
      `${path.basename(file)}: ${ms(totalUs)} profiled (main thread)${window ? ` in the window ${window.fromUs}–${window.toUs} µs` : ''}`,
      renderTable(['self', 'share', 'area', 'function'], topFunctions.map(([name, e]) => [ms(e.us), pct(e.us), e.area, name])),
      '',
      renderTable(['self', 'share', 'area'], topAreas.map(([area, us]) => [ms(us), pct(us), area])),
    ].join('\n'),
  };
}

if (import.meta.main) {
  const [file, top, fromUs, toUs] = process.argv.slice(2);
  if (!file) {
    console.error('usage: npm run bench -- profile <file.cpuprofile> [top]');
    process.exit(2);
  }
  const window = fromUs && toUs ? { fromUs: Number(fromUs), toUs: Number(toUs) } : undefined;
  console.log((await summariseProfile(file, top ? Number(top) : 25, window)).text);
}
