// extension/dashboardRecordText.ts: with nothing recorded, Export and Clear say so instead of opening their dialogs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exported, exportTitle, nothingToClear, nothingToExport } from '../../extension/dashboardRecordText';

const STORE = { files: 1, bytes: 2048, maxBytes: 20 * 1024 * 1024, skippedLines: 0, disabledReason: null };

describe('dashboard record text', () => {
  it('says there is nothing to export, in all records or in the chosen range, instead of a save dialog', () => {
    assert.equal(nothingToExport(0, null), 'Locus has no latency records to export yet.');
    assert.equal(nothingToExport(0, 3_600_000), 'Locus has no latency records in this time range to export.');
    assert.equal(nothingToExport(3, null), undefined);
  });

  it('says there is nothing to delete when no record file is stored, instead of asking', () => {
    assert.equal(nothingToClear({ ...STORE, files: 0, bytes: 0 }), 'Locus has no latency records to delete.');
    assert.equal(nothingToClear(STORE), undefined);
  });

  it('counts records in words', () => {
    assert.equal(exportTitle(1), 'Export 1 Locus latency record');
    assert.equal(exportTitle(12), 'Export 12 Locus latency records');
    assert.equal(exported(1, '/w/l.json'), 'Locus: exported 1 latency record to /w/l.json.');
  });
});
