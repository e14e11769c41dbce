import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * Removes the files under `dir` (at any depth) last modified before `cutoff`;
 * resolves to how many it removed. Folders stay: an upload may be about to rename
 * its file into one, and an empty folder costs next to nothing. A file that goes
 * away while this walks is not an error.
 */
export async function removeFilesOlderThan(dir: string, cutoff: Date): Promise<number> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  let removed = 0;
  for (const entry of entries) {
    const entryPath = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      removed += await removeFilesOlderThan(entryPath, cutoff);
      continue;
    }
    if (!entry.isFile()) continue;
    const modified = await stat(entryPath).then(
      (info) => info.mtimeMs,
      () => undefined,
    );
    if (modified === undefined || modified >= cutoff.getTime()) continue;
    await rm(entryPath, { force: true });
    removed += 1;
  }
  return removed;
}
