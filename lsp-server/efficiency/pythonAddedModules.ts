// Standard-library modules that recent Pythons added, and which version did: the sandbox runs the system's
// python3, which may be older than the user's, and a suggestion importing one of them (`import tomllib` on 3.10)
// fails there for no fault of its own, much as for a package the sandbox lacks.

const ADDED_IN: ReadonlyMap<string, string> = new Map([
  ['importlib.metadata', '3.8'],
  ['graphlib', '3.9'],
  ['zoneinfo', '3.9'],
  ['importlib.resources.abc', '3.11'],
  ['tomllib', '3.11'],
  ['wsgiref.types', '3.11'],
  ['dbm.sqlite3', '3.13'],
  ['annotationlib', '3.14'],
  ['compression', '3.14'],
  ['compression.bz2', '3.14'],
  ['compression.gzip', '3.14'],
  ['compression.lzma', '3.14'],
  ['compression.zlib', '3.14'],
  ['compression.zstd', '3.14'],
  ['concurrent.interpreters', '3.14'],
  ['string.templatelib', '3.14'],
]);

/** The Python version that added `module` to the standard library, where it is a recent addition: '3.11' for tomllib. */
export function pythonVersionAdding(module: string): string | undefined {
  return ADDED_IN.get(module);
}
