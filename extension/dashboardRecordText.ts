// What the dashboard's Export and Clear say, and when there is nothing to export or delete. Free of `vscode`, so it
// is unit-tested; the page disables the same buttons (media/dashboard/dashboard.js), and these answer a click that
// came from a page showing older figures.
import type { TelemetryStoreStats } from '../lsp-server/protocol';

function latencyRecords(count: number): string {
  return `latency record${count === 1 ? '' : 's'}`;
}

/** The sentence Export shows instead of a save dialog when the range holds no record; undefined when it holds some. */
export function nothingToExport(count: number, rangeMs: number | null): string | undefined {
  if (count > 0) return undefined;
  return rangeMs === null ? 'Locus has no latency records to export yet.' : 'Locus has no latency records in this time range to export.';
}

export function exportTitle(count: number): string {
  return `Export ${count} Locus ${latencyRecords(count)}`;
}

export function exported(count: number, path: string): string {
  return `Locus: exported ${count} ${latencyRecords(count)} to ${path}.`;
}

/** The sentence Clear shows instead of asking to delete when nothing is stored; undefined when something is. */
export function nothingToClear(store: TelemetryStoreStats): string | undefined {
  return store.files === 0 ? 'Locus has no latency records to delete.' : undefined;
}
