import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * A running `serve` leaves {url, pid, adminToken} in DATA_DIR/service.json (mode 0600) so that
 * `media-vault list` on the same machine reads the catalog through it instead of opening the same PGlite
 * directory a second time, which PGlite does not allow.
 */
export interface ServiceFile {
  url: string;
  pid: number;
  adminToken: string;
}

const fileIn = (dataDir: string) => path.join(dataDir, 'service.json');

export async function writeServiceFile(dataDir: string, info: ServiceFile): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  await writeFile(fileIn(dataDir), JSON.stringify(info), { mode: 0o600 });
  // `mode` only applies when the file is created; one left behind by a killed process keeps its old mode.
  await chmod(fileIn(dataDir), 0o600);
}

/** Removes the file only if it is this process's, so stopping one service never orphans another's. */
export async function removeServiceFile(dataDir: string, pid: number): Promise<void> {
  const info = await readServiceFile(dataDir);
  if (info?.pid === pid) await rm(fileIn(dataDir), { force: true });
}

/** The running service's file, or undefined when there is none or its process is gone. */
export async function readLiveServiceFile(dataDir: string): Promise<ServiceFile | undefined> {
  const info = await readServiceFile(dataDir);
  return info && isAlive(info.pid) ? info : undefined;
}

async function readServiceFile(dataDir: string): Promise<ServiceFile | undefined> {
  try {
    return JSON.parse(await readFile(fileIn(dataDir), 'utf8')) as ServiceFile;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const lockIn = (dataDir: string) => path.join(dataDir, 'serve.lock');

/**
 * Claims DATA_DIR for this process before the embedded catalog is opened (PGlite allows one process per
 * directory). Created exclusively, so two services started at the same moment cannot both win; a lock
 * left by a dead process is taken over. Returns the pid of a live owner instead of claiming.
 */
export async function claimDataDir(dataDir: string): Promise<{ ownerPid: number } | undefined> {
  await mkdir(dataDir, { recursive: true });
  for (let tries = 0; tries < 3; tries += 1) {
    try {
      await writeFile(lockIn(dataDir), String(process.pid), { flag: 'wx' });
      return undefined;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const ownerPid = Number(await readFile(lockIn(dataDir), 'utf8').catch(() => 'NaN'));
    if (Number.isInteger(ownerPid) && ownerPid !== process.pid && isAlive(ownerPid)) return { ownerPid };
    await rm(lockIn(dataDir), { force: true }); // stale: its process is gone
  }
  throw new Error(`Could not claim ${lockIn(dataDir)}; another media-vault may be starting on the same DATA_DIR.`);
}

export async function releaseDataDir(dataDir: string): Promise<void> {
  const ownerPid = Number(await readFile(lockIn(dataDir), 'utf8').catch(() => 'NaN'));
  if (ownerPid === process.pid) await rm(lockIn(dataDir), { force: true });
}
