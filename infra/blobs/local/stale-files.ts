import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * Removes the files under `dir` (at any depth) whose inode last changed before
 * `cutoff`; resolves to how many it removed. The change time, not the modification
 * time: a rename renews it, and `publish` claims an upload by renaming it aside,
 * which keeps the upload's modification time. Judged by that, an old upload
 * claimed by a send while a sweep passed could vanish before it was linked.
 * Folders stay: an upload may be about to rename its file into one, and an empty
 * folder costs next to nothing. A file that goes away while this walks is not an error.
 */
export async function removeFilesUnchangedSince(dir: string, cutoff: Date): Promise<number> {
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
      removed += await removeFilesUnchangedSince(entryPath, cutoff);
      continue;
    }
    if (!entry.isFile()) continue;
    const changed = await stat(entryPath).then(
      (info) => info.ctimeMs,
      () => undefined,
    );
    if (changed === undefined || changed >= cutoff.getTime()) continue;
    await rm(entryPath, { force: true });
    removed += 1;
  }
  return removed;
}
