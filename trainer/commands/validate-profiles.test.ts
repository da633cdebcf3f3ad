import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pino from "pino";
import { describe, expect, it } from "vitest";
import type { LoadedBundle } from "../../shared/bundle/bundle.ts";
import { Vocab } from "../data/table.ts";
import type { Holdout } from "../validate/holdout.ts";
import { bundleProfiles } from "./validate-profiles.ts";

/** A logger whose records are kept, by message. */
function keptLog() {
  const lines: { msg: string }[] = [];
  const log = pino({ level: "info" }, { write: (s: string) => lines.push(JSON.parse(s)) });
  return { log, messages: () => lines.map((l) => l.msg) };
}

const bundle = (version: string, profile: { name: string; kind: "categorical"; buckets: number }[]) =>
  ({ manifest: { version, viewerTower: { features: { profile } } } }) as unknown as LoadedBundle;

const holdout: Holdout = { users: ["u1", "u2"], histories: [], seen: [], targets: [], holdoutUsers: 2 };
const users = new Vocab();
for (const u of holdout.users) users.intern(u);
const country = [{ name: "country", kind: "categorical" as const, buckets: 8 }];

describe("bundleProfiles", () => {
  it("refuses a table that cannot be read before any work, whatever the bundles read", async () => {
    const { log } = keptLog();
    await expect(bundleProfiles("/nonexistent/users.csv", users, 0, log)).rejects.toThrow(
      /^--user-features \/nonexistent\/users\.csv: no such file or directory$/,
    );
    // A directory it could list, but without a table in it (a pipe or an unreadable file likewise).
    const empty = await mkdtemp(path.join(tmpdir(), "towerops-profiles-"));
    await expect(bundleProfiles(empty, users, 0, log)).rejects.toThrow(
      /^--user-features .*: a directory without data files/,
    );
  });

  it("reads it once and types it for each bundle by its columns, says its bad rows once, names the flag once", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "towerops-profiles-"));
    const table = path.join(dir, "users.csv");
    await writeFile(table, "user,country,premium\nu1,007,1\nu1,008,0\nu2,009,1\n");
    const { log, messages } = keptLog();
    const profiles = await bundleProfiles(table, users, 1, log);
    for (const version of ["candidate", "baseline"]) {
      const read = await profiles.of(bundle(version, country), holdout, false);
      expect(read.userFeatures?.get("u2")).toEqual({ country: "009" });
    }
    expect(messages().filter((m) => m.startsWith("skipped bad row"))).toHaveLength(1);
    // Read once: the second bundle is typed from the first read, not from the file again.
    await writeFile(table, "user,country\nu2,010\n");
    const again = await profiles.of(bundle("third", country), holdout, true);
    expect(again.userFeatures?.get("u2")).toEqual({ country: "009" });
    const strangers = path.join(dir, "strangers.csv");
    await writeFile(strangers, "user,country\nx1,1\n");
    const other = await bundleProfiles(strangers, users, 0, log);
    const err = await other.of(bundle("v2", country), holdout, true).catch((e: Error) => e);
    expect((err as Error).message).toMatch(
      /^bundle v2: --user-features \/\S+strangers\.csv: none of its 1 ids/,
    );
  });

  it("warns of a table covering under half of the held-out users, as train does", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "towerops-profiles-"));
    const table = path.join(dir, "users.csv");
    await writeFile(table, "user,country\nu1,1\n");
    const three = new Vocab();
    for (const u of ["u1", "u2", "u3"]) three.intern(u);
    const { log, messages } = keptLog();
    await (await bundleProfiles(table, three, 0, log)).of(bundle("v", country), holdout, true);
    expect(messages()).toContainEqual(
      expect.stringMatching(/^only 1 of the log's 3 users \(33\.3%\) have a row/),
    );
  });

  it("says a table no bundle read was not read", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "towerops-profiles-"));
    const table = path.join(dir, "users.csv");
    await writeFile(table, "user,country\nu1,1\n");
    const { log, messages } = keptLog();
    const profiles = await bundleProfiles(table, users, 0, log);
    expect(await profiles.of(bundle("v", []), holdout, true)).toBe(holdout);
    profiles.done();
    expect(messages()).toContainEqual(expect.stringMatching(/^--user-features not read/));
  });
});
