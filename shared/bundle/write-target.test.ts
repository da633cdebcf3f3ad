import { mkdir, mkdtemp, realpath, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { isFdAlias, isWithin, landingPath, ownStream } from "./write-target.ts";

describe("landingPath", () => {
  it("follows links as the system does, into directories that do not exist yet", async () => {
    const root = await realpath(await mkdtemp(path.join(tmpdir(), "towerops-write-target-")));
    await mkdir(path.join(root, "real", "sub"), { recursive: true });
    await symlink(path.join(root, "real", "sub"), path.join(root, "out"));
    await symlink("../served/r.html", path.join(root, "out", "r.html"));
    expect(await landingPath(path.join(root, "out", "new", "deeper", "b"))).toBe(
      path.join(root, "real", "sub", "new", "deeper", "b"),
    );
    expect(await landingPath(`${path.join(root, "out")}/../x.html`)).toBe(path.join(root, "real", "x.html"));
    expect(await landingPath(path.join(root, "out", "r.html"))).toBe(
      path.join(root, "real", "served", "r.html"),
    );
  });

  it("sees this process's stdout behind /dev/stdout", async () => {
    expect(isFdAlias(await landingPath("/dev/stdout"))).toBe(true);
    expect(ownStream([`/proc/${process.pid}/fd/1`])).toBe(process.stdout);
    expect(ownStream([`/proc/${process.pid + 1}/fd/1`])).toBeUndefined();
  });
});

describe("isWithin", () => {
  it("tells a path inside a directory from one beside it", () => {
    expect(isWithin("/a/ck", "/a/ck")).toBe(true);
    expect(isWithin("/a/ck", "/a/ck/..foo/b")).toBe(true);
    expect(isWithin("/a/ck", "/a/ck2/b")).toBe(false);
    expect(isWithin("/a/ck", "/a/b")).toBe(false);
  });
});
