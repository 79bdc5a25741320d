// `npm run bench -- <name> [options]` runs bench/<name>.ts. Each benchmark runs on import, prints its
// figures and writes them under bench/results/ with the machine noted.
import { readdirSync } from 'node:fs';

const available = readdirSync(__dirname)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .map((f) => f.slice(0, -'.ts'.length))
  .sort();
const name = process.argv[2];
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- <${available.join('|')}> [options]`);
  process.exit(2);
}
void import(`./${name}`);
