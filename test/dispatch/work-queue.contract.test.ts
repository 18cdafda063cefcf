import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { openBullmqQueue } from '../../src/dispatch/bullmq-queue.ts';
import { createInProcessQueue } from '../../src/dispatch/in-process-queue.ts';
import type { JobHandler, WorkQueue } from '../../src/dispatch/work-queue.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { newWamid } from '../catalog/databases.ts';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const logger = createLogger('silent');

interface Adapter {
  name: string;
  open(concurrency: number): Promise<WorkQueue>;
  /** Removes what the test left behind (BullMQ: the test's queue in Redis). */
  cleanup(): Promise<void>;
}

function bullmqAdapter(): Adapter {
  const names: string[] = [];
  return {
    name: 'BullMQ on Redis',
    async open(concurrency) {
      const queueName = `mv-test-${randomBytes(6).toString('hex')}`;
      names.push(queueName);
      return openBullmqQueue({ redisUrl: REDIS_URL, queueName, concurrency, leaseMs: 60_000, logger });
    },
    async cleanup() {
      for (const name of names.splice(0)) {
        const queue = new Queue(name, { connection: { url: REDIS_URL } });
        await queue.obliterate({ force: true });
        await queue.close();
      }
    },
  };
}

const adapters: Adapter[] = [
  { name: 'in-process', open: async (concurrency) => createInProcessQueue({ concurrency, logger }), cleanup: async () => undefined },
  bullmqAdapter(),
];

/** Records every handler call and how many ran at once. */
function recorder(work: (wamid: string) => Promise<void> = async () => undefined) {
  const calls: string[] = [];
  let running = 0;
  let maxRunning = 0;
  const handler: JobHandler = async (wamid) => {
    running += 1;
    maxRunning = Math.max(maxRunning, running);
    try {
      await work(wamid);
    } finally {
      running -= 1;
      calls.push(wamid);
    }
  };
  return { calls, handler, maxRunning: () => maxRunning, count: (wamid: string) => calls.filter((c) => c === wamid).length };
}

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

async function waitFor(done: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe.each(adapters)('work queue contract: $name', (adapter) => {
  const opened: WorkQueue[] = [];
  const open = async (concurrency: number) => {
    const queue = await adapter.open(concurrency);
    opened.push(queue);
    return queue;
  };
  afterEach(async () => {
    for (const queue of opened.splice(0)) await queue.close(0);
    await adapter.cleanup();
  });

  it('hands every enqueued wamid to the handler once', async () => {
    const queue = await open(4);
    const r = recorder();
    queue.start(r.handler);
    const wamids = Array.from({ length: 20 }, () => newWamid());
    for (const wamid of wamids) await queue.enqueue(wamid);
    await waitFor(() => r.calls.length >= wamids.length, 'all jobs');
    await queue.close(1000);
    expect([...r.calls].sort()).toEqual([...wamids].sort());
  });

  it('runs a wamid enqueued twice while it waits once', async () => {
    const queue = await open(1);
    const r = recorder();
    const [a, b] = [newWamid(), newWamid()];
    await queue.enqueue(a);
    await queue.enqueue(a);
    await queue.enqueue(b);
    await queue.enqueue(a);
    queue.start(r.handler);
    await waitFor(() => r.calls.includes(a) && r.calls.includes(b), 'both jobs');
    await queue.close(1000);
    expect(r.count(a)).toBe(1);
    expect(r.count(b)).toBe(1);
  });

  it('runs a delayed job after jobs enqueued after it without delay', async () => {
    const queue = await open(1);
    const r = recorder();
    queue.start(r.handler);
    const [later, first, second] = [newWamid(), newWamid(), newWamid()];
    await queue.enqueue(later, { delayMs: 400 });
    await queue.enqueue(first);
    await queue.enqueue(second);
    await waitFor(() => r.calls.length === 3, 'three jobs');
    expect(r.calls).toEqual([first, second, later]);
  });

  it('never runs more handlers at once than its concurrency', async () => {
    const queue = await open(3);
    const r = recorder(() => pause(40));
    const wamids = Array.from({ length: 12 }, () => newWamid());
    for (const wamid of wamids) await queue.enqueue(wamid);
    queue.start(r.handler);
    await waitFor(() => r.calls.length === wamids.length, 'all jobs');
    expect(r.maxRunning()).toBe(3);
  });

  it('runs a wamid again when its handler re-enqueues it with a delay (the retry path)', async () => {
    const queue = await open(2);
    const seen = new Map<string, number>();
    const r = recorder(async (wamid) => {
      const n = (seen.get(wamid) ?? 0) + 1;
      seen.set(wamid, n);
      if (n < 3) await queue.enqueue(wamid, { delayMs: 30 });
    });
    queue.start(r.handler);
    const wamid = newWamid();
    await queue.enqueue(wamid);
    await waitFor(() => r.count(wamid) === 3, 'three runs of one wamid');
  });

  it('close(grace) lets the running job finish and takes no new one', async () => {
    const queue = await open(1);
    const hold = gate();
    let started = false;
    let finished = false;
    const [running, waiting] = [newWamid(), newWamid()];
    const r = recorder(async (wamid) => {
      if (wamid === running) {
        started = true;
        await hold.opened;
        finished = true;
      }
    });
    queue.start(r.handler);
    await queue.enqueue(running);
    await waitFor(() => started, 'the job to start');
    await queue.enqueue(waiting);
    const closed = queue.close(10_000).then(() => finished);
    setTimeout(hold.open, 100);
    expect(await closed).toBe(true);
    expect(r.calls).toEqual([running]);
  });

  it('close(grace) returns after the grace when a job outlives it', async () => {
    const queue = await open(1);
    const hold = gate();
    let started = false;
    const r = recorder(async () => {
      started = true;
      await hold.opened;
    });
    queue.start(r.handler);
    const wamid = newWamid();
    await queue.enqueue(wamid);
    await waitFor(() => started, 'the job to start');
    const closing = performance.now();
    await queue.close(150);
    expect(performance.now() - closing).toBeLessThan(5_000);
    hold.open();
    await waitFor(() => r.calls.length === 1, 'the held job to end');
  });
});
