import cluster from "node:cluster";
import { type Command, InvalidArgumentError, Option } from "commander";
import type { ResolvedBundle } from "../shared/bundle/source.ts";
import { givenFlags, int } from "../shared/cli-flags.ts";
import { componentLogger, type Logger } from "../shared/log.ts";
import { parseBodyLimit } from "./body-limit.ts";
import { keptVersions } from "./kept-versions.ts";
import type { RunningServer } from "./lifecycle.ts";

interface RuntimeFlags {
  role: "ann-host" | "viewer";
  bundle: string[];
  port: number;
  host: string;
  threads?: number;
  workers: number;
  maxK: number;
  cacheDir?: string;
  keep: number;
  view: boolean;
  coalesce: boolean;
  searchWorker: boolean;
  coalesceWindowMs: number;
  maxBatch: number;
  bodyLimit: string;
  shutdownDelayMs: number;
}

// Checked as the flags are read, so a typo is a usage error before the bundle is loaded; kept as
// given, which the 413's message quotes.
const sizeFlag = (v: string): string => {
  try {
    parseBodyLimit(v);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  return v;
};

export function registerRuntimeCommands(program: Command): void {
  program
    .command("runtime")
    .description("Serve a model bundle: the ANN host (index + viewer tower) or the viewer service")
    .addOption(
      new Option("--role <role>", "what to serve").choices(["ann-host", "viewer"]).default("ann-host"),
    )
    .option(
      "--bundle <uri>",
      "bundle path, file:// or http(s):// URI; repeat for the viewer role (current first, then previous)",
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option("--port <n>", "listen port (0 = ephemeral)", int(0, 65535), 8080)
    .option(
      "--host <addr>",
      "listen address (in a pod: 0.0.0.0, so probes and Services reach it)",
      "127.0.0.1",
    )
    .option(
      "--workers <n>",
      "serving processes sharing the port; set to the pod's CPU limit (each then searches on 1 thread)",
      int(1),
      1,
    )
    .option(
      "--threads <n>",
      "usearch search threads per serving process; default the cores (at most 4), 1 with --workers",
      int(1),
    )
    .option("--max-k <n>", "largest k a request may ask for", int(1), 1000)
    .option("--cache-dir <dir>", "download cache for http(s) bundles")
    .option("--keep <n>", "viewer role: previous versions served beside the current one", int(0), 2)
    .option("--no-view", "read the index into RAM instead of memory-mapping it")
    .option("--no-coalesce", "search each request alone instead of merging concurrent ones")
    .option(
      "--no-search-worker",
      "search on the main thread instead of a worker with its own view of the index",
    )
    .option("--coalesce-window-ms <ms>", "extra wait to gather a batch (0 = next event-loop turn)", int(0), 0)
    .option("--max-batch <n>", "most queries per batched call and per batch request", int(1), 256)
    .option(
      "--body-limit <size>",
      "largest request body: bytes, or with b, kb, mb or gb (1kb = 1024 bytes)",
      sizeFlag,
      "1mb",
    )
    .option("--shutdown-delay-ms <ms>", "keep serving this long after readiness turns false", int(0), 0)
    .action(async (flags: RuntimeFlags, cmd: Command) => {
      const inert = givenFlags(cmd, ROLE_FLAGS[flags.role]);
      if (inert.length > 0) {
        cmd.error(
          `error: ${inert.join(", ")} ${inert.length === 1 ? "does" : "do"} nothing with --role ${flags.role}`,
        );
      }
      // A usage error, said in one line as for any other flag, not a structured start-up failure.
      const problem = bundleProblem(flags);
      if (problem) cmd.error(`error: ${problem}`);
      await runRuntime(flags);
    });
}

// Flags only one role reads; given to the other they would be ignored while the user believes them
// in effect (a --keep on an ANN host keeps no previous version).
const ROLE_FLAGS: Record<RuntimeFlags["role"], readonly string[]> = {
  "ann-host": ["keep"],
  viewer: ["threads", "maxK", "view", "searchWorker", "coalesceWindowMs"],
};

async function runRuntime(flags: RuntimeFlags): Promise<void> {
  const clustered = flags.workers > 1;
  // Loaded only with --workers: a single host starts hashing its bundle before anything else.
  const workers = clustered ? await import("./cluster.ts") : undefined;
  if (workers && cluster.isPrimary) {
    process.exitCode = await supervise(flags);
    return;
  }
  const worker = cluster.worker?.id;
  const log = componentLogger(flags.role).child(worker === undefined ? {} : { worker });
  const loading = stopWhileLoading(log);
  const bundles = workers?.workerBundleDirs() ?? flags.bundle;
  const common = {
    port: flags.port,
    host: flags.host,
    cacheDir: flags.cacheDir,
    maxBatch: flags.maxBatch,
    bodyLimit: flags.bodyLimit,
    coalesce: flags.coalesce,
    shutdownDelayMs: flags.shutdownDelayMs,
    log,
  };
  let server: RunningServer;
  try {
    if (flags.role === "viewer") {
      const { startVerification } = await import("../shared/bundle/verify.ts");
      // As the ANN host's: a replacement worker must serve the bundles the primary verified, not
      // whatever their directories hold now, or the pod would serve two runs under one version.
      const sources = workers
        ? await Promise.all(
            bundles.map(async (dir, i) => ({
              prepared: (await startVerification(dir, { ...workers.startDigests(i), indexChecks: false }))
                .contents,
            })),
          )
        : bundles;
      server = await (await import("./viewer-service.ts")).startViewerService({
        ...common,
        bundles: sources,
        keep: flags.keep,
      });
    } else {
      // Hashing a large index takes about as long as loading express, tfjs and usearch: get it
      // running in worker threads before importing them. Not awaited here: the host listens first,
      // so liveness answers while an http(s) bundle downloads, which can outlast a liveness probe's
      // patience (the pod was killed and restarted mid-download, forever).
      const { prepareBundle } = await import("../shared/bundle/source.ts");
      const { startVerification } = await import("../shared/bundle/verify.ts");
      const prepared = (
        workers
          ? startVerification(bundles[0] as string, workers.startDigests(0))
          : prepareBundle(bundles[0] as string, { cacheDir: flags.cacheDir })
      ).then((v) => v.contents);
      // The host awaits it once it listens; a refusal before then is not unhandled, and is thrown there.
      prepared.catch(() => {});
      server = await (await import("./ann-server.ts")).startAnnHost({
        ...common,
        bundle: { prepared },
        threads: flags.threads ?? (clustered ? 1 : undefined),
        maxK: flags.maxK,
        view: flags.view,
        coalesceWindowMs: flags.coalesceWindowMs,
        // Only an explicit --no-search-worker overrides the host's default (a worker when viewing).
        // A serving worker is itself the unit of parallelism: a search thread would oversubscribe.
        ...(flags.searchWorker && !clustered ? {} : { searchWorker: false }),
      });
    }
  } catch (err) {
    startFailed(log, err);
    // Not left to the event loop: a download or the digests of a bundle still being prepared (the
    // port was taken) would keep the process alive until they end, as would a serving worker's
    // IPC channel to its primary. The log is written synchronously.
    process.exit(1);
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      log.info({ signal }, "already draining; signal ignored");
      return;
    }
    stopping = true;
    log.info({ signal }, "shutting down");
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  // Kept for every signal, not once: a serving worker hears a group-wide SIGTERM (dumb-init,
  // `tini -g`, systemd's control-group kill, a terminal's Ctrl-C) and its primary's own, and the
  // second, with no listener left, took the default action and cut the drain.
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  loading.end();
  workers?.announceReady(server.url);
}

/**
 * The structured record for the pod's log, and the one line every other command ends with; under
 * --workers the primary says it once for the pod, not each serving worker.
 */
function startFailed(log: Logger, err: unknown): void {
  log.error({ err }, "runtime failed to start");
  if (!cluster.isWorker)
    process.stderr.write(`towerops: ${err instanceof Error ? err.message : String(err)}\n`);
}

function bundleProblem(flags: RuntimeFlags): string | undefined {
  if (flags.bundle.length === 0) return "--bundle is required";
  if (flags.role === "ann-host" && flags.bundle.length !== 1)
    return "the ANN host serves exactly one --bundle";
  return undefined;
}

/** The primary of `--workers N`: resolves the bundles once, then forks and supervises the workers. */
async function supervise(flags: RuntimeFlags): Promise<number> {
  const log = componentLogger(flags.role).child({ primary: true });
  const loading = stopWhileLoading(log);
  const { superviseWorkers } = await import("./cluster.ts");
  const { resolveBundle } = await import("../shared/bundle/source.ts");
  const { checkedFiles, verifyDigests } = await import("../shared/bundle/verify.ts");
  const resolved: ResolvedBundle[] = [];
  const uris = flags.role === "viewer" ? keptVersions(flags.bundle, flags.keep, log) : flags.bundle;
  try {
    for (const uri of uris)
      resolved.push(
        await resolveBundle(uri, { cacheDir: flags.cacheDir, indexChecks: flags.role !== "viewer" }),
      );
  } catch (err) {
    startFailed(log, err);
    return 1;
  }
  // The workers take the digests from here.
  const verify = () =>
    Promise.all(resolved.map((r) => (r.verified ? checkedFiles(r.verified) : verifyDigests(r.dir))));
  const bundleDirs = resolved.map((r) => r.dir);
  // It installs its own signal handlers at once, before these come off (see stopWhileLoading).
  const supervised = superviseWorkers({
    workers: flags.workers,
    log,
    bundleDirs,
    verify,
  });
  loading.end();
  return supervised;
}

/**
 * Until serving starts there is nothing to drain: a SIGTERM then (the pod deleted while its bundle
 * downloads or loads) ends the process at once with exit 0, as a drained stop does, rather than
 * with the default 143 and no word in the log. `end()` hands the signals to the serving handlers,
 * which must be installed first: when a signal's last listener goes, Node stops watching it, and
 * one that had arrived but was not yet dispatched is dropped with the watcher. A SIGTERM sent as
 * the host logged ready was ignored that way in 4 of 20 starts, leaving it to the SIGKILL.
 */
function stopWhileLoading(log: Logger): { end(): void } {
  const onSignal = (signal: NodeJS.Signals) => {
    log.info({ signal }, "stopped before serving");
    process.exit(0);
  };
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
  return {
    end() {
      process.off("SIGTERM", onSignal);
      process.off("SIGINT", onSignal);
    },
  };
}
