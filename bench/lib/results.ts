import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { machineInfo, type MachineInfo } from './machine.ts';
import { RESULTS_DIR, tuningEnvironment } from './settings.ts';
import { renderTable } from './table.ts';

/** One line of the combined table: our figure, the reference measured beside it, their ratio, the target. */
export interface SummaryRow {
  figure: string;
  ours: string;
  reference: string;
  /** ours ÷ reference as defined per row (speed ratio, latency ratio, memory ratio). */
  ratio: string;
  target: string;
  met: boolean | undefined;
}

export interface ScenarioResult {
  scenario: string;
  tag: string;
  startedAt: string;
  finishedAt: string;
  durationS: number;
  machine: MachineInfo;
  tuning: Record<string, string>;
  settings: Record<string, unknown>;
  rows: SummaryRow[];
  details: unknown;
}

export const SUMMARY_HEADERS = ['figure', 'ours', 'reference (same run)', 'ratio', 'target', 'met'] as const;

export function summaryCells(row: SummaryRow): string[] {
  return [row.figure, row.ours, row.reference, row.ratio, row.target, row.met === undefined ? '—' : row.met ? 'yes' : 'NO'];
}

export function resultFile(scenario: string, tag: string): string {
  return path.join(RESULTS_DIR, `${scenario}${tag ? `-${tag}` : ''}.json`);
}

/** Starts the clock for a scenario; `finish` prints its rows and writes bench/results/<scenario>[-tag].json. */
export function startScenario(scenario: string, tag: string, settings: Record<string, unknown>) {
  const startedAt = new Date();
  const machine = machineInfo();
  console.log(`\n== ${scenario}${tag ? ` [${tag}]` : ''} — ${machine.nproc} cores, ${machine.cpuModel}, node ${machine.node}, libvips ${machine.libvips}, sharp concurrency ${machine.sharpConcurrency}`);
  const tuning = tuningEnvironment();
  if (Object.keys(tuning).length > 0) console.log(`   tuning: ${JSON.stringify(tuning)}`);
  return {
    async finish(rows: SummaryRow[], details: unknown): Promise<ScenarioResult> {
      const finishedAt = new Date();
      const result: ScenarioResult = {
        scenario,
        tag,
        startedAt: startedAt.toISOString(),
        finishedAt: finishedAt.toISOString(),
        durationS: Math.round((finishedAt.getTime() - startedAt.getTime()) / 100) / 10,
        machine,
        tuning,
        settings,
        rows,
        details,
      };
      await mkdir(RESULTS_DIR, { recursive: true });
      const file = resultFile(scenario, tag);
      await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
      console.log(`\n${renderTable(SUMMARY_HEADERS, rows.map(summaryCells))}`);
      console.log(`(${result.durationS} s; written to ${path.relative(process.cwd(), file)})`);
      return result;
    },
  };
}

export async function readResult(scenario: string, tag: string): Promise<ScenarioResult | undefined> {
  try {
    return JSON.parse(await readFile(resultFile(scenario, tag), 'utf8')) as ScenarioResult;
  } catch {
    return undefined;
  }
}
