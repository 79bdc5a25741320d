// Finds the workspace's test files for `findTestCalls`, through the same walker and path filters the context index
// uses (secrets, .gitignore, dependency folders and what `locus.exclude` or `files.exclude` keeps out are never read).
// The file list is cached briefly, since a refinement may follow every suggestion.
import { WorkspaceFolderUnreadableError } from '../../runtime/errors';
import { workspaceFolderFilter } from '../context/pathFilter';
import type { WorkspaceExcludes } from '../context/workspaceExcludes';
import { readTextFile, walkWorkspace } from '../context/workspaceWalker';
import { isTestFile, type TestFile } from './workspaceTestCalls';

const MAX_VISITED = 20000;
const MAX_TEST_FILES = 200;
const MAX_TEST_FILE_BYTES = 256 * 1024;
const LIST_TTL_MS = 30_000;

export class WorkspaceTestFiles {
  private listed: { at: number; roots: readonly string[]; excludes: WorkspaceExcludes; paths: string[] } | undefined;

  /**
   * `roots`: the workspace folders now, `excludes`: the globs the index keeps out (each a new object when it changes,
   * which lists the files again).
   */
  constructor(
    private readonly roots: () => readonly string[],
    private readonly excludes: () => WorkspaceExcludes,
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
    const excludes = this.excludes();
    if (this.listed && this.listed.roots === roots && this.listed.excludes === excludes && now - this.listed.at < LIST_TTL_MS) return this.listed.paths;
    const paths: string[] = [];
    let visited = 0;
    for (const root of roots) {
      try {
        for await (const file of walkWorkspace(root, workspaceFolderFilter(root, roots, excludes), { maxFileBytes: MAX_TEST_FILE_BYTES, signal })) {
          if (++visited > MAX_VISITED || paths.length >= MAX_TEST_FILES) break;
          if (isTestFile(file.relativePath)) paths.push(file.absolutePath);
        }
      } catch (error) {
        // A folder that cannot be read (the index logs why) has no test files to offer; the others still do.
        if (!(error instanceof WorkspaceFolderUnreadableError)) throw error;
      }
    }
    this.listed = { at: now, roots, excludes, paths };
    return paths;
  }
}
