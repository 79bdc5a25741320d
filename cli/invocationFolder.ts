// The folder the user ran the command from. `npm start` runs the script in the package's folder and says where npm
// was invoked in INIT_CWD, so a path typed there (`npm start -- explain sample.py:6-9` in another folder) is relative
// to that folder. Other ways in (`node dist/cli.js`, a test's child process that inherits npm's variables) keep the
// process's own folder.
export function invocationFolder(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  return env.npm_lifecycle_event === 'start' && env.INIT_CWD ? env.INIT_CWD : cwd;
}
