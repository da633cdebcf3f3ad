// Whether the process that holds a lock still runs. A pid alone says nothing: on another node, or in
// another container (each has its own pid namespace, and a restarted container is a new one), the
// same number names another process, or none. So a holder records the kernel it ran under (boot
// id), its pid namespace and its start time; only a process that finds all three its own can look
// the pid up and be sure.
import { readFile, readlink } from "node:fs/promises";

export interface ProcessIdentity {
  /** The kernel's boot id: the same machine, since its last boot. */
  boot: string;
  /** The pid namespace, e.g. `pid:[4026531836]`. */
  pidNamespace: string;
  pid: number;
  /** Start time in clock ticks since boot: a pid reused by a later process has another. */
  started: string;
}

// Fields 3 (state) and 22 (start time) of /proc/<pid>/stat, counted after the command name, which
// is in parentheses and may itself hold spaces and parentheses.
async function procStat(pid: number): Promise<{ state?: string; started?: string } | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  if (stat === undefined) return undefined;
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { state: fields[0], started: fields[19] };
}

/**
 * This process's identity, or undefined where /proc does not tell it: not Linux, or a /proc
 * mounted for another pid namespace (`unshare --pid` without `--mount-proc`), where pids would be
 * looked up among other processes than they name.
 */
export async function ownIdentity(): Promise<ProcessIdentity | undefined> {
  try {
    const [self, boot, pidNamespace, started] = await Promise.all([
      readlink("/proc/self"),
      readFile("/proc/sys/kernel/random/boot_id", "utf8"),
      readlink("/proc/self/ns/pid"),
      procStat(process.pid).then((s) => s?.started),
    ]);
    return self === String(process.pid) && started
      ? { boot: boot.trim(), pidNamespace, pid: process.pid, started }
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * True only when `holder` surely no longer runs: it ran under this kernel and in this pid
 * namespace, and its pid is free, a zombie (killed, not yet reaped) or a later process's. Anything
 * this process cannot see (another node or container, no /proc, no record) counts as running.
 */
export async function hasEnded(holder: ProcessIdentity | undefined): Promise<boolean> {
  const own = await ownIdentity();
  if (!holder || !own || holder.boot !== own.boot || holder.pidNamespace !== own.pidNamespace) return false;
  const now = await procStat(holder.pid);
  return now === undefined || now.state === "Z" || now.started !== holder.started;
}
