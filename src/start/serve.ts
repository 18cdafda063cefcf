import type { Config } from '../config/config.ts';
import { createLogger } from '../shared/logger.ts';
import { createService } from './compose.ts';
import { stopOnSignals } from './stop-on-signals.ts';
import { claimDataDir, readLiveServiceFile, releaseDataDir, removeServiceFile, writeServiceFile } from './service-file.ts';

/** Problems that make the workers useless (they cannot download); each is one line a user can act on. */
export function downloadProblems(config: Config): string[] {
  if (config.whatsapp.accessToken || config.graph.standin.enabled) return [];
  return ['WHATSAPP_ACCESS_TOKEN is not set: set it to your Meta app\'s access token, or set GRAPH_STANDIN=true to download from the local Graph stand-in instead of Meta.'];
}

/** Problems that make the service useless; each is one line a user can act on. */
export function startupProblems(config: Config): string[] {
  const problems = downloadProblems(config);
  if (config.whatsapp.appSecrets.length === 0) {
    problems.push('APP_SECRET is not set: every webhook POST would be rejected. Copy it from your Meta app (App settings → Basic → App secret).');
  }
  return problems;
}

export async function serve(config: Config): Promise<void> {
  const problems = startupProblems(config);
  if (problems.length > 0) {
    for (const problem of problems) console.error(`media-vault: ${problem}`);
    process.exitCode = 1;
    return;
  }
  // PGlite allows one process per directory; a second one would corrupt it or silently diverge.
  const claim = config.catalog.kind === 'pglite' ? await claimDataDir(config.dataDir) : undefined;
  if (claim) {
    const other = await readLiveServiceFile(config.dataDir);
    console.error(`media-vault: another media-vault (pid ${claim.ownerPid}${other ? `, ${other.url}` : ''}) is already using DATA_DIR ${config.dataDir}; the embedded catalog allows one process. Stop it, or give this one another DATA_DIR.`);
    process.exitCode = 1;
    return;
  }
  const logger = createLogger(config.logLevel);
  if (!config.whatsapp.verifyToken) logger.warn('WEBHOOK_VERIFY_TOKEN is not set: Meta\'s subscription handshake (GET /webhook) will be refused');

  const service = await createService(config, logger);
  let url: string;
  try {
    url = await service.start();
  } catch (error) {
    // Close what was opened (catalog, workers), or the process would linger holding them.
    await service.stop();
    await releaseDataDir(config.dataDir);
    throw error;
  }
  const localUrl = url.replace('0.0.0.0', '127.0.0.1').replace('[::]', '[::1]');
  await writeServiceFile(config.dataDir, { url: localUrl, pid: process.pid, adminToken: service.adminToken });
  logger.info({ url, catalog: config.catalog.kind, storage: service.blobs.describe(), dispatch: config.dispatch.kind, workers: config.dispatch.concurrency }, 'whatsapp-media-vault is serving POST /webhook');

  stopOnSignals(logger, 'stop HTTP, drain workers, close catalog', async () => {
    await service.stop();
    await removeServiceFile(config.dataDir, process.pid);
    await releaseDataDir(config.dataDir);
  });
}
