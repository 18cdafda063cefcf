#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { loadConfig, ConfigError } from '../config/load-config.ts';
import { readEnvironment } from '../config/read-environment.ts';
import type { Config } from '../config/config.ts';
import { createGraphStandin, loadMediaMap } from '../whatsapp/graph-standin.ts';
import { runDoctor } from '../doctor/run-doctor.ts';
import { runDemo } from './demo/run-demo.ts';
import { listMedia } from './list.ts';
import { renderMediaTable } from './media-table.ts';
import { describeRetry, neverRetriedCodes, retryFailed, retryProblem } from './retry.ts';
import { sendPayloads } from './send.ts';
import { serve } from './serve.ts';
import { runWorker } from './worker.ts';

const env = readEnvironment();
// Catalog files, stored photos and the admin token file are the customers' data: readable by this user only.
process.umask(0o077);

function packageVersion(): string {
  const file = new URL('../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}
const config = (): Config => loadConfig(env);

const program = new Command('media-vault')
  .description('Keep the photos customers send to your WhatsApp Business number.')
  .version(packageVersion());

program
  .command('serve')
  .description('Run the webhook service (reads .env; see .env.example)')
  .action(async () => serve(config()));

program
  .command('worker')
  .description('Run extra workers without the HTTP server (needs REDIS_URL and a shared catalog: DATABASE_URL or Supabase)')
  .action(async () => runWorker(config()));

program
  .command('send')
  .description('Sign webhook payload files with the app secret exactly as Meta does and POST them')
  .argument('<payload...>', 'JSON files in Meta\'s webhook format')
  .option('--url <url>', 'webhook URL (default: this machine\'s service on PORT)')
  .option('--secret <secret>', 'app secret to sign with (default: the first of APP_SECRET)')
  .option('--raw-unicode', 'send non-ASCII characters as UTF-8 instead of \\uXXXX escapes as Meta does')
  .action(async (files: string[], options: { url?: string; secret?: string; rawUnicode?: boolean }) => {
    const cfg = config();
    const secret = options.secret ?? cfg.whatsapp.appSecrets[0];
    if (!secret) throw new ConfigError(['No app secret: pass --secret or set APP_SECRET.']);
    const url = options.url ?? `http://127.0.0.1:${cfg.http.port}/webhook`;
    const results = await sendPayloads(files, { url, secret, escapeUnicode: !options.rawUnicode });
    for (const result of results) console.log(`${result.status} ${result.file} ${result.body}`);
    if (results.some((r) => r.status !== 200)) process.exitCode = 1;
  });

program
  .command('graph-standin')
  .description('Run the local stand-in for Meta\'s Graph media API, serving media ids from files')
  .requiredOption('--media-map <file>', 'JSON map: media id → { file, mime_type }')
  .option('--port <port>', 'port to listen on', '8090')
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .option('--token <token>', 'Bearer token to require (default: WHATSAPP_ACCESS_TOKEN)')
  .action(async (options: { mediaMap: string; port: string; host: string; token?: string }) => {
    const accessToken = options.token ?? config().whatsapp.accessToken;
    if (!accessToken) throw new ConfigError(['The stand-in needs a token to check: pass --token or set WHATSAPP_ACCESS_TOKEN.']);
    const media = await loadMediaMap(options.mediaMap);
    const standin = createGraphStandin({ accessToken, media, host: options.host, port: Number(options.port) });
    const { baseUrl } = await standin.start();
    console.log(`Graph stand-in serving ${media.size} media id(s) at ${baseUrl} (set GRAPH_API_BASE_URL=${baseUrl})`);
    const stop = () => void standin.close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });

program
  .command('list')
  .description('Show catalog rows, newest first')
  .addOption(new Option('--status <status>', 'only rows in this state').choices(['received', 'processing', 'stored', 'failed']))
  .option('--limit <n>', 'how many rows', '50')
  .option('--json', 'print JSON instead of a table')
  .action(async (options: { status?: 'received' | 'processing' | 'stored' | 'failed'; limit: string; json?: boolean }) => {
    const records = await listMedia(config(), { status: options.status, limit: Number(options.limit) });
    console.log(options.json ? JSON.stringify(records, null, 2) : renderMediaTable(records.map((record) => ({ record }))));
  });

program
  .command('retry')
  .description('Try failed photos again once their cause is fixed (a token, a bucket, a key, an outage)')
  .option('--code <code...>', 'failed rows with this error code (repeatable), e.g. graph_token_invalid')
  .option('--wamid <wamid...>', 'these failed rows (repeatable)')
  .option('--all', 'every retryable failed row')
  .action(async (options: { code?: string[]; wamid?: string[]; all?: boolean }) => {
    const request = { codes: options.code, wamids: options.wamid, all: options.all };
    const problem = retryProblem(request);
    if (problem) {
      console.error(`media-vault retry: ${problem}`);
      process.exitCode = 1;
      return;
    }
    for (const code of neverRetriedCodes(request)) {
      console.error(`media-vault retry: rows failed with ${code} are never retried: Meta sent no media for them, so there is nothing to download.`);
    }
    const cfg = config();
    for (const line of describeRetry(await retryFailed(cfg, request), cfg)) console.log(line);
  });

program
  .command('doctor')
  .description('Check the configuration end to end (keys, catalog table, bucket, write/read/sign/delete) and say how to fix what fails')
  .action(async () => {
    process.exitCode = await runDoctor(config());
  });

program
  .command('demo')
  .description('Run the whole pipeline locally on sample images (or your own files) and print the result')
  .argument('[files...]', 'your own images to send instead of the generated samples')
  .action(async (files: string[]) => {
    process.exitCode = await runDemo(env, files);
  });

program.parseAsync().catch((error: unknown) => {
  console.error(`media-vault: ${error instanceof Error ? error.message : String(error)}`);
  // Exit now: a half-started service (an open catalog, a timer) must not keep the process alive.
  process.exit(typeof process.exitCode === 'number' && process.exitCode !== 0 ? process.exitCode : 1);
});
