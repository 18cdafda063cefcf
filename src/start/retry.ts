import { isRequeueableCode, type RequeueFilter } from '../catalog/catalog.ts';
import { createCatalog } from '../catalog/create-catalog.ts';
import type { Config } from '../config/config.ts';
import { claimDataDir, readLiveServiceFile, releaseDataDir } from './service-file.ts';

export interface RetryOptions {
  codes?: string[] | undefined;
  wamids?: string[] | undefined;
  all?: boolean | undefined;
}

export interface RetryOutcome {
  /** The wamids moved from failed back to received, oldest first. */
  wamids: string[];
  /** Where it happened: the running service (which started the rows at once) or the catalog directly. */
  via: { kind: 'service'; url: string } | { kind: 'catalog' };
}

/**
 * What is wrong with the request, or undefined. Retrying every failed row must be asked for with --all:
 * an accidental mass retry of expired media ids can exhaust Graph's lookup error budget.
 */
export function retryProblem(options: RetryOptions): string | undefined {
  const narrowed = (options.codes?.length ?? 0) > 0 || (options.wamids?.length ?? 0) > 0;
  if (!narrowed && !options.all) {
    return 'say which failed rows to retry: --code C (e.g. --code graph_token_invalid), --wamid W, or --all for every retryable failed row. `media-vault list --status failed` shows them.';
  }
  if (narrowed && options.all) return '--all retries every retryable failed row; leave out --code and --wamid with it, or drop --all.';
  return undefined;
}

/** Codes asked for that are never retried (Meta sent no media: meta_…, payload_…). */
export function neverRetriedCodes(options: RetryOptions): string[] {
  return (options.codes ?? []).filter((code) => !isRequeueableCode(code));
}

/**
 * Moves matching failed rows back to received. With PGlite and a running service, through the service's
 * POST /admin/retry (one process per PGlite directory), which also starts them at once; otherwise on the
 * catalog directly, where a running service's reconciler (or the next start) picks them up.
 */
export async function retryFailed(config: Config, options: RetryOptions): Promise<RetryOutcome> {
  const problem = retryProblem(options);
  if (problem) throw new Error(problem);
  const filter: RequeueFilter = options.all ? {} : { codes: nonEmpty(options.codes), wamids: nonEmpty(options.wamids) };

  if (config.catalog.kind === 'pglite') {
    const live = await readLiveServiceFile(config.dataDir);
    if (live) return { wamids: await retryThroughService(live.url, live.adminToken, filter), via: { kind: 'service', url: live.url } };
    // No service file, but a `serve` may be starting: hold the directory as `serve` does, so the two never
    // open the same PGlite at once.
    const claim = await claimDataDir(config.dataDir);
    if (claim) {
      throw new Error(`another media-vault (pid ${claim.ownerPid}) is using DATA_DIR ${config.dataDir} and is not answering yet; try again once it has started.`);
    }
    try {
      return { wamids: await retryInCatalog(config, filter), via: { kind: 'catalog' } };
    } finally {
      await releaseDataDir(config.dataDir);
    }
  }
  return { wamids: await retryInCatalog(config, filter), via: { kind: 'catalog' } };
}

async function retryInCatalog(config: Config, filter: RequeueFilter): Promise<string[]> {
  const catalog = await createCatalog(config.catalog);
  try {
    return await catalog.requeueFailed(filter);
  } finally {
    await catalog.close();
  }
}

async function retryThroughService(baseUrl: string, adminToken: string, filter: RequeueFilter): Promise<string[]> {
  const body = filter.codes === undefined && filter.wamids === undefined ? { all: true } : { codes: filter.codes, wamids: filter.wamids };
  const response = await fetch(`${baseUrl}/admin/retry`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) {
    const reason = ((await response.json().catch(() => ({}))) as { message?: string }).message ?? '';
    throw new Error(`The running service answered ${response.status} to the retry request. ${reason}`.trim());
  }
  const { wamids } = (await response.json()) as { requeued: number; wamids: string[] };
  return wamids;
}

function nonEmpty(values: string[] | undefined): string[] | undefined {
  return values === undefined || values.length === 0 ? undefined : [...new Set(values)];
}

/** The lines `media-vault retry` prints. */
export function describeRetry(outcome: RetryOutcome, config: Config): string[] {
  const n = outcome.wamids.length;
  if (n === 0) return ['No failed row matched: nothing was requeued.'];
  const head = `Requeued ${n} failed row${n === 1 ? '' : 's'}`;
  let next: string;
  if (outcome.via.kind === 'service') next = `${head}; the running service (${outcome.via.url}) has started them.`;
  else if (config.catalog.kind === 'pglite') next = `${head} in the catalog. No service runs on DATA_DIR ${config.dataDir}: the next \`media-vault serve\` (npm start) starts them.`;
  else next = `${head} in the catalog. A running service or worker picks them up within RECONCILE_INTERVAL_MS (${Math.round(config.dispatch.reconcileIntervalMs / 1000)} s); if none runs, the next start does.`;
  return [next, ...outcome.wamids.map((wamid) => `  ${wamid}`)];
}
