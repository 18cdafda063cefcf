import { readdirSync, readFileSync } from 'node:fs';

// Linux reports thread CPU in clock ticks; 100 per second on every common kernel configuration.
const TICK_MS = 10;

type Snapshot = { totalMs: number; threads: Map<string, { group: string; ms: number }> };

/** Which part of the process a thread is, by the name Node, V8, libuv and libvips give their threads. */
function groupOf(comm: string): string {
  if (comm === 'MainThread' || comm === 'node') return 'main thread (JS)';
  if (comm === 'libuv-worker') return 'libuv pool (sharp, fs, crypto)';
  if (comm.startsWith('libvips')) return 'libvips threads';
  if (comm === 'V8Worker' || comm.startsWith('DelayedTask')) return 'V8 helpers (GC, compile)';
  return 'other';
}

function ticksMs(stat: string): number {
  // Fields after the ")" that closes the command name; utime and stime are the 12th and 13th of them.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

/** CPU time of every live thread of this process, and of the whole process (including threads that ended). */
export function threadCpu(): Snapshot {
  const threads = new Map<string, { group: string; ms: number }>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const comm = readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim();
      threads.set(`${tid}:${comm}`, { group: groupOf(comm), ms: ticksMs(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')) });
    } catch {
      // the thread ended meanwhile
    }
  }
  return { totalMs: ticksMs(readFileSync('/proc/self/stat', 'utf8')), threads };
}

/** CPU ms per thread group between two snapshots; threads that ended in between count as 'ended threads'. */
export function threadCpuDelta(before: Snapshot, after: Snapshot): Record<string, number> {
  const groups: Record<string, number> = {};
  let seen = 0;
  for (const [key, now] of after.threads) {
    const delta = now.ms - (before.threads.get(key)?.ms ?? 0);
    groups[now.group] = (groups[now.group] ?? 0) + delta;
    seen += delta;
  }
  const ended = after.totalMs - before.totalMs - seen;
  if (ended > 0) groups['ended threads'] = ended;
  return groups;
}

export function describeThreadCpu(groups: Record<string, number>, perItems: number): string {
  return Object.entries(groups)
    .filter(([, ms]) => ms > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([group, ms]) => `${group} ${(ms / perItems).toFixed(1)}`)
    .join(', ');
}
