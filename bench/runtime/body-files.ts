// Request bodies for the load generator, which reads them from files. They get a directory of their
// own, removed when the measurement ends, failed or not: they used to stay in /tmp after every run.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** Runs `fn` with each list of bodies written as a JSON array to a file of its name. */
export async function withBodyFiles<Name extends string, T>(
  bodies: Record<Name, unknown[]>,
  fn: (files: Record<Name, string>) => Promise<T>,
): Promise<T> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "towerops-bench-bodies-"));
  try {
    const files = Object.fromEntries(
      Object.entries<unknown[]>(bodies).map(([name, list]) => {
        const file = path.join(dir, `${name}.json`);
        writeFileSync(file, JSON.stringify(list));
        return [name, file];
      }),
    ) as Record<Name, string>;
    return await fn(files);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
