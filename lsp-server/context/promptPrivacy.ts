// Which documents' text never goes into a prompt, so Locus neither completes, explains nor compresses in them: secret
// files by the built-in rules (`.env*`, keys, certificates, credentials), and what `locus.exclude` names. Retrieval keeps
// them out of other files' prompts (pathFilter.ts); this keeps their own text out of the prompts made in them: in a
// `.env` file a completion was made from the keys in it, and Compress showed them.
import * as path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { relativeInside } from './folderPaths';
import { globToGitignorePatterns } from './pathFilter';
import { isSecretPath } from './secretRules';

export const SECRET_FILE_REASON =
  "Locus makes no prompt of this file (no completion, Explain or Compress): it is a secret file by Locus's rules (.env*, keys, certificates, credentials).";
export const EXCLUDED_FILE_REASON = 'Locus makes no prompt of this file (no completion, Explain or Compress): locus.exclude names it.';

export class PromptPrivacy {
  private readonly excluded: Ignore;

  /** `folders`: the workspace folders (absolute); `excludeGlobs`: `locus.exclude`, relative to each of them. */
  constructor(
    private readonly folders: readonly string[],
    excludeGlobs: readonly string[],
  ) {
    this.excluded = ignore().add(excludeGlobs.flatMap(globToGitignorePatterns));
  }

  /**
   * Why `file`'s text must stay out of prompts, as one sentence for the status bar; undefined when it may go in. Where
   * folders nest, it is judged from each folder that holds it: a folder listed inside another lets in nothing that the
   * outer one's rules keep out (its globs are written from its own root).
   */
  reasonFor(file: string): string | undefined {
    const relativePaths = this.folders.map((folder) => relativeInside(folder, file)).filter((relative) => relative !== undefined);
    // Outside the folders only the file's name is judged: the folder rules (`private/`, `keys/`) would take a path's
    // parents outside the workspace for secret folders.
    if ((relativePaths.length > 0 ? relativePaths : [path.basename(file)]).some(isSecretPath)) return SECRET_FILE_REASON;
    return relativePaths.some((relative) => this.excluded.ignores(relative)) ? EXCLUDED_FILE_REASON : undefined;
  }
}
