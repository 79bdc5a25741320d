// Finds the workspace's test files for `findTestCalls`, through the same walker and path filter the context index
// uses (secrets, .gitignore and dependency folders are never read). The file list is cached briefly, since a
// refinement may follow every suggestion.
import { WorkspaceFolderUnreadableError } from '../../runtime/errors';
import { PathFilter } from '../context/pathFilter';
import { readTextFile, walkWorkspace } from '../context/workspaceWalker';
import { isTestFile, type TestFile } from './workspaceTestCalls';

const MAX_VISITED = 20000;
const MAX_TEST_FILES = 200;
const MAX_TEST_FILE_BYTES = 256 * 1024;
const LIST_TTL_MS = 30_000;

export class WorkspaceTestFiles {
  private listed: { at: number; roots: readonly string[]; paths: string[] } | undefined;

  /** `roots`: the workspace folders now (a new list when they change, which lists the files again). */
  constructor(
    private readonly roots: () => readonly string[],
    private readonly clock: () => number,
  ) {}

  /** Test files whose text mentions `name`. */
  async filesMentioning(name: string, signal?: AbortSignal): Promise<TestFile[]> {
    const files: TestFile[] = [];
    for (const path of await this.testPaths(signal)) {
      if (signal?.aborted) break;
      const text = await readTextFile(path, MAX_TEST_FILE_BYTES);
      if (text !== undefined && text.includes(name)) files.push({ path, text });
    }
    return files;
  }

  private async testPaths(signal?: AbortSignal): Promise<string[]> {
    const now = this.clock();
    const roots = this.roots();
    if (this.listed && this.listed.roots === roots && now - this.listed.at < LIST_TTL_MS) return this.listed.paths;
    const paths: string[] = [];
    let visited = 0;
    for (const root of roots) {
      try {
        for await (const file of walkWorkspace(root, new PathFilter(root, { excludeGlobs: [] }), { maxFileBytes: MAX_TEST_FILE_BYTES, signal })) {
          if (++visited > MAX_VISITED || paths.length >= MAX_TEST_FILES) break;
          if (isTestFile(file.relativePath)) paths.push(file.absolutePath);
        }
      } catch (error) {
        // A folder that cannot be read (the index logs why) has no test files to offer; the others still do.
        if (!(error instanceof WorkspaceFolderUnreadableError)) throw error;
      }
    }
    this.listed = { at: now, roots, paths };
    return paths;
  }
}
