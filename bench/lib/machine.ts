import { readFileSync } from 'node:fs';
import os from 'node:os';
import sharp from 'sharp';

export interface MachineInfo {
  nproc: number;
  cpuModel: string;
  memoryTotalMb: number;
  node: string;
  sharp: string | undefined;
  libvips: string;
  sharpConcurrency: number;
  loadAverage: number[];
}

export function machineInfo(): MachineInfo {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (match?.[1]) cpuModel = match[1].trim();
  } catch {
    // not Linux: os.cpus() it is
  }
  return {
    nproc: os.availableParallelism(),
    cpuModel,
    memoryTotalMb: Math.round(os.totalmem() / 1024 / 1024),
    node: process.version,
    sharp: sharp.versions.sharp,
    libvips: sharp.versions.vips,
    sharpConcurrency: sharp.concurrency(),
    loadAverage: os.loadavg().map((n) => Math.round(n * 100) / 100),
  };
}
