// Where a write to a path lands: through symbolic links (dangling ones included) as the system
// follows them, into a process's own stream for /dev/stdout, and whether it lands inside a directory.
import { readlink, realpath } from "node:fs/promises";
import path from "node:path";

// As many links as Linux follows before ELOOP.
const MAX_LINK_HOPS = 40;

/** `dir` through its symbolic links, as far as it exists: a missing tail is joined to its nearest real ancestor. */
async function realAsFarAsItExists(dir: string): Promise<string> {
  const real = await realpath(dir).catch(() => undefined);
  if (real !== undefined) return real;
  const parent = path.dirname(dir);
  return parent === dir
    ? path.resolve(dir)
    : path.join(await realAsFarAsItExists(parent), path.basename(dir));
}

/** `p` with its directory resolved as the system resolves it: `..` after a symbolic link climbs out of the link's target. */
async function inRealDir(p: string): Promise<string> {
  // Not path.resolve first: it would take `out/..` away as text before the link was followed.
  return path.join(await realAsFarAsItExists(path.dirname(p)), path.basename(p));
}

/** Whether `p` is `dir` or inside it (both as resolved paths). */
export function isWithin(dir: string, p: string): boolean {
  const rel = path.relative(dir, p);
  return rel !== ".." && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}

/** Every path a write to `file` goes through, following its symbolic links; the last is where it lands. */
export async function linkHops(file: string): Promise<string[]> {
  const hops: string[] = [];
  let at = await inRealDir(file);
  for (let hop = 0; hop <= MAX_LINK_HOPS; hop++) {
    hops.push(at);
    const link = await readlink(at).catch(() => undefined);
    if (link === undefined) return hops;
    // Joined as text, not resolved: `s/../x` in a link climbs out of where `s` points.
    at = await inRealDir(path.isAbsolute(link) ? link : `${path.dirname(at)}/${link}`);
  }
  throw new Error(`${file}: too many levels of symbolic links`);
}

/**
 * The file a write to `file` lands in: the one its symbolic links point at, even where the last
 * one dangles (as a shell's `>` creates it), so a rename there replaces that file, not the link.
 */
export async function landingPath(file: string): Promise<string> {
  return (await linkHops(file)).at(-1) as string;
}

/** Whether `p` is a process's open file (/dev/stdout is /proc/self/fd/1): whatever the shell redirected it to. */
export const isFdAlias = (p: string) => /^\/(proc\/[^/]+|dev)\/fd\//.test(p);

/**
 * This process's stdout or stderr, when a hop is its fd 1 or 2 (/dev/stdout is /proc/self/fd/1):
 * written through the stream, the report lands where the stream's next line would, where a file
 * opened anew would keep an offset of its own and the shell's next write would land over it.
 */
export function ownStream(hops: readonly string[]): NodeJS.WriteStream | undefined {
  for (const hop of hops) {
    const [, pid, fd] = /^\/proc\/(\d+)\/fd\/(\d+)$/.exec(hop) ?? [];
    if (Number(pid) !== process.pid) continue;
    if (fd === "1") return process.stdout;
    if (fd === "2") return process.stderr;
  }
  return undefined;
}

/**
 * Writes `parts` to a process stream, a failure (EPIPE: the reader has gone) rejecting this call:
 * the stream also emits it as 'error', which with no listener would end the process.
 */
export async function writeThrough(stream: NodeJS.WriteStream, parts: readonly Uint8Array[]): Promise<void> {
  const ignore = () => {};
  stream.on("error", ignore);
  try {
    for (const part of parts)
      await new Promise<void>((done, fail) => stream.write(part, (err) => (err ? fail(err) : done())));
  } finally {
    stream.off("error", ignore);
  }
}
