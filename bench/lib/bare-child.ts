// The memory figure's reference: bare sharp alone in its own process, over `count` fresh copies of one
// photo with `concurrency` jobs in flight. Usage: node bench/lib/bare-child.ts <photo> <count> <concurrency>
// Prints {"ms": …} when done; the parent samples this process's RSS.
import { readFile } from 'node:fs/promises';
import { bare, freshCopy } from './pipelines.ts';
import { runPool } from './pool.ts';
import { applySharpSettings } from './settings.ts';

applySharpSettings();
const [file, count, concurrency] = process.argv.slice(2);
if (!file || !count || !concurrency) throw new Error('usage: bare-child.ts <photo> <count> <concurrency>');
const source = await readFile(file);
const jobs = Array.from({ length: Number(count) }, () => source);
const ms = await runPool(jobs, Number(concurrency), (bytes) => bare(freshCopy(bytes)));
console.log(JSON.stringify({ ms }));
