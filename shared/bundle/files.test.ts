import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { closeSync, openSync } from "node:fs";
import {
  chmod,
  chown,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { moduleScript, runNode } from "../child-testing.ts";
import {
  bundlePath,
  digestFile,
  digestFiles,
  listFiles,
  pathInside,
  replaceFile,
  tempSibling,
  tempWriterAlive,
  writeWhole,
} from "./files.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "bundle-files-test-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("digests", () => {
  it("hash in worker threads and on the main thread alike, in input order", async () => {
    const contents = ["", "a", "x".repeat(3_000_000)];
    const files = await Promise.all(
      contents.map(async (c, i) => {
        const f = path.join(dir, `f${i}`);
        await writeFile(f, c);
        return f;
      }),
    );
    const expected = contents.map((c) => ({
      sha256: createHash("sha256").update(c).digest("hex"),
      bytes: c.length,
    }));
    const sizes = contents.map((c) => c.length);
    expect(await digestFiles(files, sizes, 0)).toEqual(expected);
    expect(await digestFiles(files, sizes)).toEqual(expected);
    expect(await digestFile(files[2] as string)).toEqual(expected[2]);
    await expect(digestFiles([path.join(dir, "missing")], [1], 0)).rejects.toThrow(/cannot digest .*missing/);
  });

  it("lists nested files relative, POSIX and sorted", async () => {
    const root = path.join(dir, "tree");
    await mkdir(path.join(root, "b", "c"), { recursive: true });
    await writeFile(path.join(root, "b", "c", "x"), "");
    await writeFile(path.join(root, "a"), "");
    expect(await listFiles(root)).toEqual(["a", "b/c/x"]);
  });
});

describe("bundlePath", () => {
  it("joins a path inside the bundle, whatever its characters", () => {
    expect(bundlePath("/b", "viewer/model.json")).toBe("/b/viewer/model.json");
    expect(bundlePath("/b", "..x/a\nb")).toBe("/b/..x/a\nb");
    expect(pathInside("/b", "a/../c")).toBe("/b/c");
  });

  it.each(["x\n/../../../etc/target", "x\r/../..", "x\u2028/../../etc", "..", "a/../..", ".", "/etc/passwd"])(
    "refuses %j, which leaves or is the bundle directory, naming manifest.json",
    (rel) => {
      expect(pathInside("/b", rel)).toBeUndefined();
      expect(() => bundlePath("/b", rel)).toThrow(
        expect.objectContaining({
          name: "BundleError",
          code: "schema_invalid",
          file: "manifest.json",
          message: `manifest.json lists the path ${JSON.stringify(rel)}, which leads outside /b`,
        }),
      );
    },
  );
});

describe("tempWriterAlive", () => {
  const named = (pid: number, at: number) =>
    path.join(dir, `.v1.tmp-${pid}-${Math.round(at).toString(36)}-abc`);

  it("tells a temporary sibling's running writer from one gone, by the PID and the time in its name", async () => {
    expect(await tempWriterAlive(tempSibling(path.join(dir, "v1.tmp-7-x-y")))).toBe(true);
    // This test's parent started before now: it may be writing one named now.
    expect(await tempWriterAlive(named(process.ppid, Date.now()))).toBe(true);
    // Past Linux's largest PID: no process runs under it.
    expect(await tempWriterAlive(named(4999999, Date.now()))).toBe(false);
    // A name this writer did not make is left to whoever did.
    expect(await tempWriterAlive(path.join(dir, ".v1.tmp-backup"))).toBe(true);
  });

  it("tells a PID that came round again from the writer that had it", async () => {
    // Named by an earlier process under this one's PID (a container's PID 1, run after run).
    expect(await tempWriterAlive(named(process.pid, Date.now() - process.uptime() * 1000 - 60_000))).toBe(
      false,
    );
    // Named a minute before the process now holding that PID started.
    const other = spawn("sleep", ["30"]);
    try {
      await once(other, "spawn");
      const pid = other.pid as number;
      expect(await tempWriterAlive(named(pid, Date.now() - 60_000))).toBe(false);
      expect(await tempWriterAlive(named(pid, Date.now()))).toBe(true);
    } finally {
      other.kill();
    }
  });

  it("takes a writer killed but not yet reaped (a zombie) for gone", async () => {
    // sh starts a short sleep, then becomes a long one that never waits for it.
    const parent = spawn("sh", ["-c", "sleep 0.1 & exec sleep 30"]);
    try {
      await once(parent, "spawn");
      await sleep(400);
      const [zombie] = (await readFile(`/proc/${parent.pid}/task/${parent.pid}/children`, "utf8"))
        .trim()
        .split(/\s+/)
        .map(Number);
      expect(await tempWriterAlive(named(zombie as number, Date.now()))).toBe(false);
    } finally {
      parent.kill();
    }
  });
});

describe("writeWhole", () => {
  // A disk that fills part-way: each write takes at most 3 bytes, and after `room` bytes fails.
  const disk = (room: number) => {
    const taken: number[] = [];
    const write = async (data: Uint8Array, offset: number, length: number) => {
      if (taken.length >= room)
        throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
      const n = Math.min(3, length, room - taken.length);
      taken.push(...data.subarray(offset, offset + n));
      return { bytesWritten: n, buffer: data };
    };
    return { taken, fh: { write } as unknown as Parameters<typeof writeWhole>[0] };
  };

  it("writes what one write took only part of, and fails when the disk fills, not short", async () => {
    const data = Uint8Array.from({ length: 10 }, (_, i) => i);
    const roomy = disk(100);
    await writeWhole(roomy.fh, data);
    expect(roomy.taken).toEqual([...data]);
    const full = disk(7);
    await expect(writeWhole(full.fh, data)).rejects.toThrow(/ENOSPC/);
    expect(full.taken).toHaveLength(7);
  });
});

describe("replaceFile", () => {
  it("replaces a file through its symbolic link, keeping the link and the file's permissions", async () => {
    const root = path.join(dir, "replace");
    await mkdir(path.join(root, "served"), { recursive: true });
    const real = path.join(root, "served", "report.html");
    const link = path.join(root, "report.html");
    await writeFile(real, "old");
    await chmod(real, 0o640);
    await symlink(real, link);
    await replaceFile(link, [Buffer.from("new "), Buffer.from("report")]);
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readFile(real, "utf8")).toBe("new report");
    expect((await stat(real)).mode & 0o777).toBe(0o640);
    // An owner and group other than this process's, as a web server's would be.
    if (process.getuid?.() === 0) {
      await chown(real, 33, 33);
      await replaceFile(link, [Buffer.from("newer")]);
      expect(await stat(real)).toMatchObject({ uid: 33, gid: 33 });
    }
    expect((await readdir(path.join(root, "served"))).sort()).toEqual(["report.html"]);
    expect((await readdir(root)).sort()).toEqual(["report.html", "served"]);
  });

  it("creates the file a dangling symbolic link points at, keeping the link", async () => {
    const root = path.join(dir, "replace-dangling");
    await mkdir(path.join(root, "served"), { recursive: true });
    await symlink(path.join("served", "report.html"), path.join(root, "hop"));
    await symlink("hop", path.join(root, "report.html"));
    await replaceFile(path.join(root, "report.html"), [Buffer.from("first")]);
    expect((await lstat(path.join(root, "report.html"))).isSymbolicLink()).toBe(true);
    expect(await readFile(path.join(root, "served", "report.html"), "utf8")).toBe("first");
    await symlink("loop", path.join(root, "loop"));
    await expect(replaceFile(path.join(root, "loop"), [Buffer.from("x")])).rejects.toThrow(
      /too many levels of symbolic links/,
    );
    expect((await lstat(path.join(root, "loop"))).isSymbolicLink()).toBe(true);
  });

  it("resolves a dangling link's `..` from the real directory it sits in", async () => {
    const root = path.join(dir, "replace-parent-link");
    await mkdir(path.join(root, "real", "sub"), { recursive: true });
    await mkdir(path.join(root, "real", "served"));
    await mkdir(path.join(root, "served"));
    await symlink(path.join(root, "real", "sub"), path.join(root, "out"));
    await symlink(path.join("..", "served", "report.html"), path.join(root, "out", "report.html"));
    await replaceFile(path.join(root, "out", "report.html"), [Buffer.from("here")]);
    expect(await readFile(path.join(root, "real", "served", "report.html"), "utf8")).toBe("here");
    expect(await readdir(path.join(root, "served"))).toEqual([]);
  });

  it("resolves `..` after a symbolic link in the path it is given as the system does", async () => {
    const root = path.join(dir, "replace-dotdot");
    await mkdir(path.join(root, "real", "sub"), { recursive: true });
    await writeFile(path.join(root, "report.html"), "someone else's");
    await symlink(path.join(root, "real", "sub"), path.join(root, "out"));
    // Not path.join, which would take the `..` away as text.
    await replaceFile(`${path.join(root, "out")}/../report.html`, [Buffer.from("mine")]);
    expect(await readFile(path.join(root, "real", "report.html"), "utf8")).toBe("mine");
    expect(await readFile(path.join(root, "report.html"), "utf8")).toBe("someone else's");
  });

  it("lets the system resolve `..` in a link's own text, after the links before it", async () => {
    const root = path.join(dir, "replace-link-text");
    await mkdir(path.join(root, "real", "deep"), { recursive: true });
    await symlink(path.join(root, "real", "deep"), path.join(root, "s"));
    await symlink("s/../out.html", path.join(root, "r.html"));
    await replaceFile(path.join(root, "r.html"), [Buffer.from("there")]);
    expect(await readFile(path.join(root, "real", "out.html"), "utf8")).toBe("there");
  });

  it("appends to the file a process's stdout was redirected to, keeping what it wrote there", async () => {
    const log = path.join(dir, "gate.log");
    await writeFile(log, "earlier\n");
    const script = `import { replaceFile } from ${JSON.stringify(path.join(import.meta.dirname, "files.ts"))};
      process.stdout.write("verdict\\n");
      await replaceFile("/dev/stdout", [Buffer.from("report\\n")]);
      process.stdout.write("next\\n");`;
    // Run with its stdout on `log` opened as `>>` (flag "a") or `>` ("w") opens it: either way, the
    // next line must land after the report, not over it.
    const runInto = async (file: string, flag: "a" | "w") => {
      const fd = openSync(file, flag);
      try {
        const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
          stdio: ["ignore", fd, "inherit"],
        });
        expect((await once(child, "exit"))[0]).toBe(0);
      } finally {
        closeSync(fd);
      }
    };
    await runInto(log, "a");
    expect(await readFile(log, "utf8")).toBe("earlier\nverdict\nreport\nnext\n");
    const truncated = path.join(dir, "gate-truncated.log");
    await runInto(truncated, "w");
    expect(await readFile(truncated, "utf8")).toBe("verdict\nreport\nnext\n");
  });

  it("rejects, without ending the process, when the reader of its stdout has gone", async () => {
    const script = `import { replaceFile } from ${JSON.stringify(path.join(import.meta.dirname, "files.ts"))};
      await new Promise((r) => setTimeout(r, 200));
      await replaceFile("/dev/stdout", [Buffer.alloc(1 << 20)]).catch((err) => console.error("caught", err.code));
      await new Promise((r) => setTimeout(r, 50));
      console.error("still running");`;
    const { code, stderr } = await runNode(moduleScript(script), "closed");
    expect(stderr).toMatch(/caught EPIPE\nstill running/);
    expect(code).toBe(0);
  });

  it("writes into a pipe or a device instead of renaming a file over it", async () => {
    const root = path.join(dir, "replace-fifo");
    await mkdir(root);
    const fifo = path.join(root, "report.fifo");
    spawnSync("mkfifo", [fifo]);
    const reader = spawn("cat", [fifo]);
    let read = "";
    reader.stdout.on("data", (b: Buffer) => {
      read += b.toString();
    });
    // Listened for first: `cat` may have read everything and exited before replaceFile returns.
    const closed = once(reader, "close");
    try {
      await replaceFile(fifo, [Buffer.from("through "), Buffer.from("the pipe")]);
      await closed;
    } finally {
      // A file renamed over the pipe would leave `cat` waiting for a writer forever.
      reader.kill();
    }
    expect(read).toBe("through the pipe");
    expect((await stat(fifo)).isFIFO()).toBe(true);
    expect(await readdir(root)).toEqual(["report.fifo"]);
  });

  it("creates a file that is not there, and leaves nothing beside it when it cannot write", async () => {
    const root = path.join(dir, "replace-new");
    await mkdir(root);
    await replaceFile(path.join(root, "summary.json"), [Buffer.from("{}")]);
    expect(await readFile(path.join(root, "summary.json"), "utf8")).toBe("{}");
    await mkdir(path.join(root, "taken"));
    await expect(replaceFile(path.join(root, "taken"), [Buffer.from("x")])).rejects.toThrow();
    expect((await readdir(root)).sort()).toEqual(["summary.json", "taken"]);
  });
});
