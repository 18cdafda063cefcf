/** Prints rows as an aligned plain-text table (also valid Markdown when `markdown` is set). */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[], markdown = false): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => {
    const padded = widths.map((w, i) => (cells[i] ?? '').padEnd(w));
    return markdown ? `| ${padded.join(' | ')} |` : padded.join('  ');
  };
  const rule = markdown ? `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|` : widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(headers), rule, ...rows.map(line)].join('\n');
}
