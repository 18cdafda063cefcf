import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
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
