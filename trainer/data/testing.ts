// Interaction tables written as rows, and logs written as part files, for tests.
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { InteractionTable } from "./table.ts";

/** Rows of [user, item, timestamp?]; a missing timestamp is the row's position. `like` lends its vocabularies. */
export function tableOf(
  rows: readonly (readonly [string, string, number?])[],
  like?: InteractionTable,
): InteractionTable {
  const t = like ? new InteractionTable(like.users, like.items) : new InteractionTable();
  rows.forEach(([user, item, timestamp], k) => {
    t.push({ user, item, timestamp: timestamp ?? k, weight: 1 });
  });
  return t;
}

/** Writes `files` (relative path -> content) under a new directory, which it returns. */
export async function partsDir(files: Record<string, string | Buffer>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "towerops-parts-"));
  for (const [name, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), content);
  }
  return dir;
}
