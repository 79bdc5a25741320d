// Language ids as other editors send them, mapped to VS Code's, which Locus's settings and tables use
// (`locus.completion.languages`, comment markers, prompt headers). Neovim and Helix call plain text `text`, so it
// was completed although plain text is off by default, and their shell scripts `sh`/`bash`, which missed the `#`
// comment rule.
const ALIASES: Readonly<Record<string, string>> = {
  text: 'plaintext',
  sh: 'shellscript',
  bash: 'shellscript',
  zsh: 'shellscript',
  gitcommit: 'git-commit',
  jsx: 'javascriptreact',
  tsx: 'typescriptreact',
  cs: 'csharp',
  'c-sharp': 'csharp',
  make: 'makefile',
};

/** VS Code's id for `languageId` (unchanged when it already is one, or unknown). */
export function canonicalLanguageId(languageId: string): string {
  return Object.hasOwn(ALIASES, languageId) ? (ALIASES[languageId] as string) : languageId;
}
