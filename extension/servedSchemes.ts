// The documents the server is given (the client's document selector), and the only ones Locus's commands work on:
// files, untitled documents and notebook cells (whose notebook the server is sent along with them).
export const SERVED_SCHEMES = ['file', 'untitled', 'vscode-notebook-cell'] as const;

export function servesScheme(scheme: string): boolean {
  return (SERVED_SCHEMES as readonly string[]).includes(scheme);
}
