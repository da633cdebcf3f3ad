// `towerops train` holds its --out for as long as it runs (and `towerops demo` its own, which holds
// the data it trains on). Two commands writing one --out would
// overwrite each other's training state, and a Kubernetes Job starts the replacement of a deleted
// or preempted pod while the old one may still be saving its state (the default
// podReplacementPolicy): the new pod would resume from an older epoch, or clear the state the old
// one had just saved. With the lease, the new pod waits until the old one has saved and exited.
//
// proper-lockfile makes the lock a directory (mkdir is atomic, on NFS and other shared volumes too)
// whose mtime the holder renews; a holder killed without warning (SIGKILL, a lost node) leaves a
// lock that goes stale and is taken over: after 120 s, or at once when the holder ran on this
// machine, in this pid namespace, and has surely ended (process-identity.ts). A holder that finds its lock taken over (its renewals
// stopped for longer than the stale time) has lost the lease and must write nothing more there.
import type { Stats } from "node:fs";
import { readdir, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import lockfile from "proper-lockfile";
import { replaceFile, sha256, tempPrefix } from "../../shared/bundle/files.ts";
import type { Logger } from "../../shared/log.ts";
import { hasEnded, ownIdentity, type ProcessIdentity } from "./process-identity.ts";

export interface OutLease {
  /** Why the lease was lost, once it has been: stop, and write nothing more in `out`. */
  readonly lost: Error | undefined;
  /** Throws `lost`, if the lease was. */
  assertHeld(): void;
  release(): Promise<void>;
}

export interface LeaseOptions {
  /** The towerops command taking `out`, named to whoever finds it held. */
  command: string;
  /** How long to wait for another holder to release `out` before refusing (0: refuse at once). */
  waitSeconds: number;
  /** The flag that raises `waitSeconds`, offered in the refusal when the command has one. */
  waitFlag?: string;
  log: Logger;
  /** A lock not renewed for this long belongs to a dead holder. */
  staleSeconds?: number;
}

/**
 * Exit 2, as the gate's "could not judge": neither the input nor the model is at fault, and the next
 * attempt resumes from the last state saved, so a retraining Job retries it (it fails at once on 1).
 */
export const LEASE_LOST_EXIT = 2;

/** Why a holder stopped writing in `out`: its lock was removed or taken over by another process. */
export class LeaseLost extends Error {
  readonly exitCode = LEASE_LOST_EXIT;
}

/**
 * `out` still held by another command when the wait ran out: exit 2 as well, since a later attempt
 * (a Job's retry after its backoff) finds it free once that command ends, where 1 ended the Job.
 */
export class OutInUse extends Error {
  readonly exitCode = LEASE_LOST_EXIT;
}

// Other nodes see the lock directory's mtime through their NFS attribute cache, which may be up to
// 60 s old for directories (acdirmax); a live holder's lock must not look stale through it.
export const LEASE_STALE_SECONDS = 120;
const RENEW_SECONDS = 10;

interface Holder {
  /** Absent from the files of releases in which only `train` took the lock. */
  command?: string;
  host: string;
  pid: number;
  since: string;
  /** Absent where /proc does not say (not Linux), and from files of earlier releases. */
  process?: ProcessIdentity;
  /** The lock directory this holder made (`lockInstance`); absent where it cannot be told. */
  lock?: string;
}

const lockPath = (out: string) => path.join(out, "train.lock");
const holderPath = (out: string) => path.join(out, "train.holder.json");
// One file per ended holder, named after its record.
const takeoverPath = (out: string, record: Holder) =>
  path.join(out, `train.takeover-${sha256(JSON.stringify(record)).slice(0, 16)}`);

/**
 * Whether this waiter is the one to take over from an ended holder. proper-lockfile's takeover of
 * a stale lock removes the lock directory and makes it again, so two waiters doing it at once could
 * both hold --out, and one still reading the ended holder's record could age the lock another had
 * just taken. Creating this file (O_EXCL) decides who: the others wait for the new holder.
 */
async function claimTakeover(file: string): Promise<boolean> {
  try {
    await writeFile(file, `${process.pid}\n`, { flag: "wx" });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  }
}

/**
 * Which lock directory this is, not merely where: a released lock's inode is handed at once to the
 * next one made (ext4 does), its birth time is not. Where the filesystem keeps no birth time, libuv
 * reports 0 or the ctime, which every renewal moves: records then fail to match, and a holder's end
 * is waited out as on another node.
 */
export const lockInstance = (lock: Stats) =>
  lock.birthtimeMs > 0 ? `${lock.ino}:${lock.birthtimeMs}` : undefined;

// Who holds --out: written just after taking the lock, whole or not at all (a waiter reading a
// half-written record would name the holder unknown), and left in place (a holder killed by a
// signal could not remove it). Between a new holder's mkdir and its write, the file still names the
// previous holder, ended or not, so a record counts only when it names the lock directory there now:
// otherwise a waiter could find that ended holder and take the lock from the live new one.
const readHolder = (out: string, lock: Stats) =>
  readFile(holderPath(out), "utf8")
    .then((s) => JSON.parse(s) as Holder)
    .then((h) => (h.lock !== undefined && h.lock === lockInstance(lock) ? h : undefined))
    .catch(() => undefined);

const describe = (h: Holder | undefined) =>
  h
    ? `towerops ${h.command ?? "train"} (pid ${h.pid} on ${h.host}, since ${h.since})`
    : "towerops command (holder unknown)";

/**
 * proper-lockfile's reason, in what happened to the lock: it says "Unable to update lock within the
 * stale threshold" for a lock whose mtime another process set, whether or not it ever was stale.
 */
function whyLost(err: NodeJS.ErrnoException, lock: string): string {
  if (err.message.startsWith("ENOENT")) return `${lock} was removed`;
  if (err.message === "Unable to update lock within the stale threshold")
    return `${lock} was replaced or renewed by another process`;
  return err.message;
}

/** Takes `out` for this process, waiting up to `waitSeconds` for another holder to release it. */
export async function leaseOut(out: string, o: LeaseOptions): Promise<OutLease> {
  const staleSeconds = o.staleSeconds ?? LEASE_STALE_SECONDS;
  const deadline = Date.now() + o.waitSeconds * 1000;
  let lost: Error | undefined;
  let unlock: (() => Promise<void>) | undefined;
  let waiting = false;
  // Set once the lock's holder was found ended and its lock aged, for the takeover that follows.
  let ended: string | undefined;
  // This waiter's claim on that takeover, removed on release: until then, a waiter still reading
  // the ended holder's record must find it claimed.
  let claim: string | undefined;
  while (!unlock) {
    // A stale lock is taken over silently by proper-lockfile; say so, naming whose it was.
    const before = await stat(lockPath(out)).catch(() => undefined);
    const stale = before !== undefined && before.mtimeMs < Date.now() - staleSeconds * 1000;
    const previous = stale ? describe(await readHolder(out, before)) : "";
    try {
      unlock = await lockfile.lock(out, {
        lockfilePath: lockPath(out),
        realpath: false,
        stale: staleSeconds * 1000,
        update: Math.min(RENEW_SECONDS, staleSeconds / 3) * 1000,
        onCompromised: (err) => {
          lost = new LeaseLost(
            `lost the lock on ${out} (${whyLost(err, lockPath(out))}): another command may have taken it over, so this one stops without writing there`,
          );
          o.log.error({ out, err: err.message }, lost.message);
        },
      });
      if (stale && ended === previous)
        o.log.warn(
          { out, previous },
          `took over ${lockPath(out)}: its holder, ${previous}, is no longer running`,
        );
      else if (stale)
        o.log.warn(
          { out, previous, staleSeconds },
          `took over ${lockPath(out)}: its holder, ${previous}, had not renewed it for over ${staleSeconds} s`,
        );
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ELOCKED")
        throw new Error(`cannot lock --out ${out}: ${(err as Error).message}`);
      const lock = await stat(lockPath(out)).catch(() => undefined);
      const record = lock && (await readHolder(out, lock));
      const holder = describe(record);
      // A holder killed on this machine (SIGKILL, the OOM killer) need not be waited out: its lock,
      // aged past the stale time, is taken over by the next attempt as any stale lock is. Once per
      // holder, in case the lock changed hands in between.
      if (record && ended !== holder && (await hasEnded(record.process))) {
        ended = holder;
        const file = takeoverPath(out, record);
        if (await claimTakeover(file)) {
          claim = file;
          // Aged only if still the ended holder's: a waiter slow enough to claim after an earlier
          // taker of this lock released it must not age the lock a later command made.
          const now = await stat(lockPath(out)).catch(() => undefined);
          if (now && lockInstance(now) === record.lock) await utimes(lockPath(out), 0, 0).catch(() => {});
        } else {
          // Another waiter is taking over: give it a moment to record itself, then judge the new
          // holder rather than name the ended one.
          await sleep(200);
        }
        continue;
      }
      if (Date.now() >= deadline)
        throw new OutInUse(
          `--out ${out} is in use by another ${holder}; wait for it to end, ${o.waitFlag ? `raise ${o.waitFlag}, ` : ""}or use another --out`,
        );
      if (!waiting)
        o.log.info({ out, holder, waitSeconds: o.waitSeconds }, "waiting for the command that holds --out");
      waiting = true;
      await sleep(Math.min(1000, Math.max(0, deadline - Date.now())));
    }
  }
  const held = unlock;
  const [identity, lock] = await Promise.all([
    ownIdentity(),
    stat(lockPath(out)).then(lockInstance, () => undefined),
  ]);
  const self: Holder = {
    command: o.command,
    host: hostname(),
    pid: process.pid,
    since: new Date().toISOString(),
    ...(identity ? { process: identity } : {}),
    ...(lock ? { lock } : {}),
  };
  await replaceFile(holderPath(out), [Buffer.from(`${JSON.stringify(self)}\n`)]).catch(async (err: Error) => {
    await held();
    throw new Error(`cannot write ${holderPath(out)}: ${err.message}`);
  });
  // Other claims are spent, left by a command that exited on a second signal before releasing: each
  // names a holder of a lock directory that is gone, and a waiter still holding that holder's record
  // finds the lock changed before it ages anything. So is a record an earlier holder was killed
  // while writing.
  for (const name of await readdir(out)) {
    const file = path.join(out, name);
    const spent = name.startsWith("train.takeover-") || name.startsWith(tempPrefix(holderPath(out)));
    if (spent && file !== claim) await rm(file, { force: true });
  }
  return {
    get lost() {
      return lost;
    },
    assertHeld() {
      if (lost) throw lost;
    },
    async release() {
      if (!lost) await held();
      if (claim) await rm(claim, { force: true });
    },
  };
}
