import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const webRoot = fileURLToPath(new URL('..', import.meta.url));
const builtIndex = path.join(webRoot, 'dist', 'index.html');

function newestChange(entry: string): number {
  const stat = statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(entry).map((name) => newestChange(path.join(entry, name))));
}

/** Builds web/dist unless it is newer than every source of the client (npm install's `prepare` built it). */
export async function ensureWebBuilt(): Promise<void> {
  const sources = ['src', 'index.html', 'vite.config.ts'].map((name) => path.join(webRoot, name));
  if (existsSync(builtIndex) && statSync(builtIndex).mtimeMs >= Math.max(...sources.map(newestChange)))
    return;
  await build({ configFile: path.join(webRoot, 'vite.config.ts'), logLevel: 'warn' });
}
