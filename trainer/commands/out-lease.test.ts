import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import pino from "pino";
import lockfile from "proper-lockfile";
import { describe, expect, it } from "vitest";
import { LeaseLost, leaseOut, lockInstance } from "./out-lease.ts";

function recorder() {
  const lines: { msg: string }[] = [];
  const log = pino({ level: "info" }, { write: (s: string) => lines.push(JSON.parse(s)) });
  return { log, messages: () => lines.map((l) => l.msg) };
}

const TRAIN = { command: "train", waitFlag: "--lock-timeout" };
const newOut = () => mkdtemp(path.join(tmpdir(), "towerops-lease-"));

/** A holder in another process, killed outright (SIGKILL, the OOM killer) once it holds `out`. */
async function killedHolder(out: string): Promise<number | undefined> {
  const leaseModule = fileURLToPath(new URL("./out-lease.ts", import.meta.url));
  const holder = spawn(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      `import { leaseOut } from ${JSON.stringify(leaseModule)};
       import pino from "pino";
       await leaseOut(process.argv[1], { command: "train", waitSeconds: 0, log: pino({ level: "silent" }) });
       console.log("held");
       setInterval(() => {}, 1000);`,
      out,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  await once(holder.stdout, "data");
  holder.kill("SIGKILL");
  await once(holder, "exit");
  return holder.pid;
}

describe("leaseOut", () => {
  it("refuses a second holder, naming the first, and frees --out on release", async () => {
    const out = await newOut();
    const { log } = recorder();
    const first = await leaseOut(out, { ...TRAIN, waitSeconds: 0, log });
    const refused = leaseOut(out, { ...TRAIN, waitSeconds: 0, log });
    await expect(refused).rejects.toThrow(
      new RegExp(
        `--out ${out} is in use by another towerops train \\(pid ${process.pid} on .+, since \\d{4}-.+\\); wait for it to end, raise --lock-timeout`,
      ),
    );
    // A Job's retry finds --out free once the holder ends: not the bad input exit 1 ends a Job for.
    await expect(refused).rejects.toMatchObject({ exitCode: 2 });
    await first.release();
    expect(await readdir(out)).toEqual(["train.holder.json"]);
    const again = await leaseOut(out, { ...TRAIN, waitSeconds: 0, log });
    await again.release();
  });

  it("waits for the holder to release, as a Job's replacement pod waits for the pod it replaces", async () => {
    const out = await newOut();
    const { log, messages } = recorder();
    const first = await leaseOut(out, { ...TRAIN, waitSeconds: 0, log });
    const second = leaseOut(out, { ...TRAIN, waitSeconds: 30, log });
    await sleep(300);
    await first.release();
    const held = await second;
    expect(messages()).toContain("waiting for the command that holds --out");
    held.assertHeld();
    await held.release();
  });

  it("takes over a lock whose holder stopped renewing it, and says whose it was", async () => {
    const out = await newOut();
    await mkdir(path.join(out, "train.lock"));
    const lock = lockInstance(await stat(path.join(out, "train.lock")));
    await writeFile(
      path.join(out, "train.holder.json"),
      JSON.stringify({ host: "pod-a", pid: 7, since: "2026-01-01T00:00:00.000Z", lock }),
    );
    const old = new Date(Date.now() - 60_000);
    await utimes(path.join(out, "train.lock"), old, old);
    const { log, messages } = recorder();
    const lease = await leaseOut(out, { ...TRAIN, waitSeconds: 0, log, staleSeconds: 30 });
    expect(messages()).toContainEqual(
      expect.stringMatching(
        /took over .*train\.lock: its holder, towerops train \(pid 7 on pod-a, since 2026-01-01.*\), had not renewed it/,
      ),
    );
    await lease.release();
  });

  it("takes over at once from a holder killed on this machine, as the OOM killer kills", async () => {
    const out = await newOut();
    const pid = await killedHolder(out);
    const { log, messages } = recorder();
    // No wait at all: the holder is known to be gone, not merely silent for a while.
    const lease = await leaseOut(out, { ...TRAIN, waitSeconds: 0, log });
    expect(messages()).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `took over .*train\\.lock: its holder, towerops train \\(pid ${pid} on .+\\), is no longer running`,
        ),
      ),
    );
    await lease.release();
  });

  it("lets one waiter take over from a killed holder, never two at once", async () => {
    // Both find the holder gone; without a claim both could remove and re-make the lock and hold it.
    for (let round = 0; round < 5; round++) {
      const out = await newOut();
      await killedHolder(out);
      const { log } = recorder();
      const waiters = await Promise.allSettled(
        [0, 1].map(() => leaseOut(out, { ...TRAIN, waitSeconds: 0, log })),
      );
      const held = waiters.filter((w) => w.status === "fulfilled");
      expect(held).toHaveLength(1);
      expect(waiters.find((w) => w.status === "rejected")?.reason).toMatchObject({
        message: expect.stringMatching(new RegExp(`in use by another towerops train \\(pid ${process.pid} `)),
      });
      await (held[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof leaseOut>>>).value.release();
      expect((await readdir(out)).filter((n) => n.startsWith("train.takeover-"))).toEqual([]);
    }
  });

  it("never takes the lock from a new holder that has not yet replaced an ended holder's record", async () => {
    const out = await newOut();
    const ended = await killedHolder(out);
    // The ended holder's lock goes (a waiter took it over and released it) and a live command
    // makes the next one: until it writes its own record, the file still names the ended holder.
    await rm(path.join(out, "train.lock"), { recursive: true });
    const unlock = await lockfile.lock(out, { lockfilePath: path.join(out, "train.lock"), realpath: false });
    expect(await readFile(path.join(out, "train.holder.json"), "utf8")).toContain(`"pid":${ended}`);
    const { log } = recorder();
    await expect(leaseOut(out, { ...TRAIN, waitSeconds: 0, log })).rejects.toThrow(
      /in use by another towerops command \(holder unknown\)/,
    );
    await unlock();
  });

  it("sweeps the claims of earlier takeovers, and a record half-written by a killed holder", async () => {
    const out = await newOut();
    await writeFile(path.join(out, "train.takeover-0123456789abcdef"), "4242\n");
    await writeFile(path.join(out, ".train.holder.json.tmp-4242-m1abc-0"), '{"command":"tr');
    const { log } = recorder();
    const lease = await leaseOut(out, { ...TRAIN, waitSeconds: 0, log });
    expect((await readdir(out)).sort()).toEqual(["train.holder.json", "train.lock"]);
    await lease.release();
  });

  it("lets go of the lock when it cannot say who holds it", async () => {
    const out = await newOut();
    await mkdir(path.join(out, "train.holder.json"));
    const { log } = recorder();
    await expect(leaseOut(out, { ...TRAIN, waitSeconds: 0, log })).rejects.toThrow(
      /cannot write .*train\.holder\.json: EISDIR/,
    );
    expect(await readdir(out)).toEqual(["train.holder.json"]);
  });

  it("reports a lease taken away, so the holder stops writing", async () => {
    const out = await newOut();
    const { log } = recorder();
    const lease = await leaseOut(out, { ...TRAIN, waitSeconds: 0, log, staleSeconds: 3 });
    expect(lease.lost).toBeUndefined();
    // What a takeover looks like to the holder at its next renewal: the lock is not its own.
    await rm(path.join(out, "train.lock"), { recursive: true });
    for (let i = 0; i < 40 && !lease.lost; i++) await sleep(100);
    expect(() => lease.assertHeld()).toThrow(
      /lost the lock on .* \(.*train\.lock was removed\): .*stops without writing there/,
    );
    // Not bad input: the exit a retraining Job retries, not the 1 that fails it at once.
    expect(lease.lost).toBeInstanceOf(LeaseLost);
    expect(lease.lost).toMatchObject({ exitCode: 2 });
    await lease.release();
  });

  it("names a lock another process took over as such, not as a stale threshold", async () => {
    const out = await newOut();
    const { log } = recorder();
    const lease = await leaseOut(out, { ...TRAIN, waitSeconds: 0, log, staleSeconds: 3 });
    await utimes(path.join(out, "train.lock"), new Date(), new Date(Date.now() + 5000));
    for (let i = 0; i < 40 && !lease.lost; i++) await sleep(100);
    expect(() => lease.assertHeld()).toThrow(/\(.*train\.lock was replaced or renewed by another process\)/);
    await lease.release();
  });
});
