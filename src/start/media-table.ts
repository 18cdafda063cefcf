import type { MediaRecord } from '../catalog/media-record.ts';
import { maskPhone } from '../shared/logger.ts';

export interface TableRow {
  record: MediaRecord;
  /** Seconds from acceptance to the final state, when known. */
  seconds?: number | undefined;
}

/** A plain-text table of catalog rows for terminals: message id, sender, status, path, size, time. */
export function renderMediaTable(rows: readonly TableRow[]): string {
  const timed = rows.some((row) => row.seconds !== undefined);
  const header = ['message id', 'sender', 'status', 'stored path / error', 'dimensions', 'bytes', ...(timed ? ['time'] : [])];
  const lines = rows.map(({ record, seconds }) => {
    const cells = [
      // wamids of one sender share a long prefix; the tail tells them apart.
      record.wamid.length <= 24 ? record.wamid : `…${record.wamid.slice(-23)}`,
      maskPhone(record.senderPhone) ?? record.senderUserId ?? '-',
      record.status,
      record.status === 'failed' ? `${record.errorCode}: ${shorten(record.errorMessage ?? '', 90)}` : (record.storagePath ?? '-'),
      record.width && record.height ? `${record.width}x${record.height}` : '-',
      record.byteSize === undefined ? '-' : String(record.byteSize),
      ...(timed ? [seconds === undefined ? '-' : `${seconds.toFixed(2)}s`] : []),
    ];
    return cells.map(printable);
  });
  const widths = header.map((title, i) => Math.max(title.length, ...lines.map((line) => (line[i] ?? '').length)));
  const format = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [format(header), format(widths.map((w) => '-'.repeat(w))), ...lines.map(format)].join('\n');
}

function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

// Row text comes from customers' messages: escape sequences must not reach the user's terminal.
function printable(text: string): string {
  return text.replace(/[\p{Cc}\p{Cf}]/gu, '?');
}
