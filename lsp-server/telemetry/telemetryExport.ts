// Export of the joined records as a JSON document or a CSV table, for spreadsheets and notebooks.
import type { TelemetryExportFormat, TelemetrySample } from '../protocol';

/** Column order of the CSV export; also the field order of each JSON record. */
export const EXPORT_COLUMNS: readonly (keyof TelemetrySample)[] = [
  'id',
  'receivedAt',
  'promptBuiltMs',
  'firstTokenMs',
  'doneMs',
  'retrievalMs',
  'compressionMs',
  'promptTokens',
  'promptTokensCompressed',
  'generatedTokens',
  'tokensPerSecond',
  'draftProposed',
  'draftAccepted',
  'prefixCacheHit',
  'servedFromCache',
  'cachedFrom',
  'model',
  'language',
  'outcome',
  'acceptedItem',
];

export function exportSamples(samples: readonly TelemetrySample[], format: TelemetryExportFormat, exportedAt: number): string {
  return format === 'csv' ? toCsv(samples) : toJson(samples, exportedAt);
}

export function toJson(samples: readonly TelemetrySample[], exportedAt: number): string {
  const records = samples.map((s) => Object.fromEntries(EXPORT_COLUMNS.map((c) => [c, s[c]])));
  return `${JSON.stringify({ exportedAt: new Date(exportedAt).toISOString(), records }, null, 2)}\n`;
}

/** RFC 4180 CSV with CRLF line ends; `receivedAt` as ISO 8601 so spreadsheets read it as a time; null as empty. */
export function toCsv(samples: readonly TelemetrySample[]): string {
  const rows = [EXPORT_COLUMNS.join(',')];
  for (const s of samples) {
    rows.push(EXPORT_COLUMNS.map((c) => csvCell(c === 'receivedAt' ? new Date(s.receivedAt).toISOString() : s[c])).join(','));
  }
  return `${rows.join('\r\n')}\r\n`;
}

function csvCell(value: string | number | boolean | null): string {
  if (value === null) return '';
  // A text cell that starts like a formula is read as one by spreadsheets (an id starting with `-` showed #NAME?).
  const text = typeof value === 'string' && /^[=+\-@\t\r]/.test(value) ? `'${value}` : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
