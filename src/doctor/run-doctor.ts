import type { Config } from '../config/config.ts';
import { catalogCheck, settingsChecks, storageChecks, type CheckResult } from './doctor-checks.ts';

const MARK = { ok: '✓', warn: '!', fail: '✗' } as const;

/** Every check, end to end, one line each; the exit code says whether anything failed. */
export async function runDoctor(config: Config, print: (line: string) => void = console.log): Promise<number> {
  const results: CheckResult[] = [...settingsChecks(config)];
  const { result, catalog } = await catalogCheck(config);
  results.push(result);
  await catalog?.close();
  results.push(...(await storageChecks(config)));
  for (const check of results) print(`${MARK[check.status]} ${check.name}: ${check.detail}`);
  const failed = results.filter((r) => r.status === 'fail').length;
  print(failed === 0 ? 'All checks passed.' : `${failed} check(s) failed.`);
  return failed === 0 ? 0 : 1;
}
