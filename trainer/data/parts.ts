// A log or feature table given as a directory is read as the part files a data pipeline wrote
// there: Spark and Hive write `part-00000...` files (one per task, some of them empty) under
// partition directories such as `dt=2024-03-01/`, beside `_SUCCESS` and `.crc` files; BigQuery
// exports `events-000000000000.csv.gz` shards. Asking users to concatenate them first would mean
// stripping the header every part repeats, and copying a multi-GB log.
import { readdir, realpath, stat } from "node:fs/promises";
import path from "node:path";

export interface Part {
  file: string;
  size: number;
}

// Hadoop's input convention (FileInputFormat's hidden-file filter): these are markers and
// checksums, not data.
const isData = (name: string) => !name.startsWith("_") && !name.startsWith(".");

/**
 * The files to read for `source`: itself when it is a file; for a directory, its data files at any
 * depth, in code-point order of their paths, so the rows (and with them the split and the batch
 * order of a seeded run) come in the same order on every machine.
 */
export async function partsOf(source: string): Promise<Part[]> {
  const s = await stat(source).catch((err: NodeJS.ErrnoException) => {
    throw new Error(err.code === "ENOENT" ? `${source}: no such file or directory` : err.message);
  });
  if (s.isFile()) return [{ file: source, size: s.size }];
  // The reader looks at a file's first and last bytes before streaming it, which a pipe cannot give.
  if (!s.isDirectory())
    throw new Error(
      `${source}: not a regular file or directory (a pipe, such as <(zcat ...)?): write it to a file, or pass the .gz itself`,
    );
  const parts: Part[] = [];
  // Symlinks are followed (mounted volumes are full of them), so a link back up the tree must not
  // be walked again.
  const walked = new Set<string>();
  const walk = async (dir: string) => {
    const real = await realpath(dir);
    if (walked.has(real)) return;
    walked.add(real);
    for (const name of (await readdir(dir)).filter(isData)) {
      const file = path.join(dir, name);
      const entry = await stat(file);
      if (entry.isDirectory()) await walk(file);
      else if (entry.isFile()) parts.push({ file, size: entry.size });
    }
  };
  await walk(source);
  if (parts.length === 0)
    throw new Error(
      `${source}: a directory without data files (names starting with "_" or "." are skipped, as Spark's _SUCCESS and .crc files are)`,
    );
  return parts.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}
