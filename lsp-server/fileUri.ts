// Paths of `file:` URIs as clients send them. Some have no local path: untitled and virtual documents, a UNC host on
// Linux (`file://server/share`), an encoded slash. Those are not indexed and not run; they never fail a request.
import { fileURLToPath } from 'node:url';

/** Absolute path of a `file:` URI; undefined when it has none here. */
export function filePathOf(uri: string): string | undefined {
  if (!uri.startsWith('file:')) return undefined;
  try {
    return fileURLToPath(uri);
  } catch {
    return undefined;
  }
}
