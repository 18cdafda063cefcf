import { readFileSync } from 'node:fs';

/** VmRSS and VmHWM (peak RSS) of a process, in bytes, from /proc/<pid>/status; undefined once it is gone. */
export function readRss(pid: number): { rss: number; hwm: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? Number.NaN) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** Samples a process's RSS every `everyMs`; `stop()` returns the samples and the peak (VmHWM last seen). */
export function sampleRss(pid: number, everyMs = 50) {
  const started = performance.now();
  const samples: { t: number; rss: number }[] = [];
  let hwm = 0;
  const take = () => {
    const now = readRss(pid);
    if (!now) return;
    samples.push({ t: Math.round(performance.now() - started), rss: now.rss });
    hwm = Math.max(hwm, now.hwm);
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop() {
      take();
      clearInterval(timer);
      return { samples, hwm, maxSampled: Math.max(0, ...samples.map((s) => s.rss)) };
    },
  };
}
