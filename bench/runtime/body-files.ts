// Request bodies for the load generator, which reads them from files. They get a directory of their
// own, removed when the measurement ends, failed, or stopped: they used to stay in /tmp after every run.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { withTempDir } from "../stop.ts";

/** Runs `fn` with each list of bodies written as a JSON array to a file of its name. */
export function withBodyFiles<Name extends string, T>(
  bodies: Record<Name, unknown[]>,
  fn: (files: Record<Name, string>) => Promise<T>,
): Promise<T> {
  return withTempDir("towerops-bench-bodies-", (dir) => {
    const files = Object.fromEntries(
      Object.entries<unknown[]>(bodies).map(([name, list]) => {
        const file = path.join(dir, `${name}.json`);
        writeFileSync(file, JSON.stringify(list));
        return [name, file];
      }),
    ) as Record<Name, string>;
    return fn(files);
  });
}
