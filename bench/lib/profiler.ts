import { mkdir, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import { RESULTS_DIR } from './settings.ts';

/**
 * With BENCH_CPU_PROFILE=1, records a V8 CPU profile of this process's main thread around `work` only
 * (not the bare-sharp references around it) into bench/results/profiles/<name>.cpuprofile, for
 * `npm run bench -- profile <file>`. Without it, just runs `work`.
 */
export async function profileDuring<T>(name: string, work: () => Promise<T>): Promise<T> {
  if (!process.env.BENCH_CPU_PROFILE) return work();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
  await session.post('Profiler.start');
  try {
    return await work();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    const dir = path.join(RESULTS_DIR, 'profiles');
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, `${name}.cpuprofile`);
    await writeFile(file, JSON.stringify(profile));
    session.disconnect();
    console.log(`  CPU profile: ${path.relative(process.cwd(), file)}`);
  }
}
