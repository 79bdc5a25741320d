// How much memory a model may still take, for the checks made before loading one (modelFiles.ts, prefillFile.ts).
import { freemem, totalmem } from 'node:os';

/**
 * Memory the process may still take: Node's available memory (a container's limit included on Linux). macOS counts
 * only never-used pages as free, a few hundred MB on a busy machine, so there half the total stands in for it.
 */
export function availableMemory(platform: NodeJS.Platform = process.platform): number {
  return platform === 'darwin' ? totalmem() / 2 : (process.availableMemory?.() ?? freemem());
}
