// Which documents' text never goes into a prompt, so Locus neither completes, explains nor compresses in them: secret
// files by the built-in rules (`.env*`, keys, certificates, credentials), and what `locus.exclude` names (the folder's
// own value where a multi-root workspace's folder sets one, workspaceExcludes.ts). Retrieval keeps
// them out of other files' prompts (pathFilter.ts); this keeps their own text out of the prompts made in them: in a
// `.env` file a completion was made from the keys in it, and Compress showed them.
import * as path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { globToGitignorePatterns } from './pathFilter';
import { isSecretPath } from './secretRules';
import { foldersJudging, type WorkspaceExcludes } from './workspaceExcludes';

export const SECRET_FILE_REASON =
  "Locus makes no prompt of this file (no completion, Explain or Compress): it is a secret file by Locus's rules (.env*, keys, certificates, credentials).";
export const EXCLUDED_FILE_REASON = 'Locus makes no prompt of this file (no completion, Explain or Compress): locus.exclude names it.';

export class PromptPrivacy {
  /** Each glob list's rules, made once: most folders share the window's list. */
  private readonly rules = new Map<readonly string[], Ignore>();

  /** `folders`: the workspace folders (absolute); `excludes`: `locus.exclude` in each of them (`prompt`). */
  constructor(
    private readonly folders: readonly string[],
    private readonly excludes: WorkspaceExcludes,
  ) {}

  /**
   * Why `file`'s text must stay out of prompts, as one sentence for the status bar; undefined when it may go in. Where
   * folders nest, it is judged from each folder that holds it: a folder listed inside another lets in nothing that the
   * outer one's rules keep out (its globs are written from its own root).
   */
  reasonFor(file: string): string | undefined {
    const judging = foldersJudging(this.excludes, this.folders, file);
    const relativePaths = judging.map((folder) => folder.relativePath);
    // Outside the folders only the file's name is judged: the folder rules (`private/`, `keys/`) would take a path's
    // parents outside the workspace for secret folders.
    if ((relativePaths.length > 0 ? relativePaths : [path.basename(file)]).some(isSecretPath)) return SECRET_FILE_REASON;
    return judging.some((folder) => this.rulesOf(folder.globs.prompt).ignores(folder.relativePath)) ? EXCLUDED_FILE_REASON : undefined;
  }

  private rulesOf(globs: readonly string[]): Ignore {
    let rules = this.rules.get(globs);
    if (rules === undefined) {
      rules = ignore().add(globs.flatMap(globToGitignorePatterns));
      this.rules.set(globs, rules);
    }
    return rules;
  }
}
