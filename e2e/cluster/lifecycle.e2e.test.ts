import { type ChildProcess, execFile, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, copyFile, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const script = (name: string) => fileURLToPath(new URL(`./${name}.sh`, import.meta.url));

// A second cluster with its own state dir and ports, so killing its components cannot disturb the
// cluster the other e2e tests run against. The ports stay below Linux's ephemeral range (32768+):
// there the first cluster's own outgoing connections can hold one first (etcd once failed to bind
// 33800 that way).
const ports = {
  TOWEROPS_ETCD_PORT: "24790",
  TOWEROPS_ETCD_PEER_PORT: "24800",
  TOWEROPS_APISERVER_PORT: "27443",
  TOWEROPS_CONTROLLER_MANAGER_PORT: "21257",
  TOWEROPS_SCHEDULER_PORT: "21259",
  TOWEROPS_KWOK_PORT: "21247",
};

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}

describe("cluster scripts: idempotent up, honest status, clean down", async () => {
  const dir = await mkdtemp(join(tmpdir(), "towerops-lifecycle-"));
  const env = { ...process.env, ...ports, TOWEROPS_CLUSTER_DIR: dir, TOWEROPS_FAKE_NODES: "1" };
  const states = new Set([dir]);
  const inFlight = new Set<ChildProcess>();
  // Killed before the test's own timeout: vitest does not stop a child when a test times out, and an
  // up.sh still starting daemons after afterAll's down would leave them running on these ports.
  const sh = (name: string, shEnv = env) => {
    states.add(shEnv.TOWEROPS_CLUSTER_DIR);
    const call = run("bash", [script(name)], { env: shEnv, timeout: 150_000 });
    inFlight.add(call.child);
    call.child.on("exit", () => inFlight.delete(call.child));
    return call;
  };

  // Ctrl-C (or vitest's SIGTERM) ends this worker without afterAll, and setsid keeps the daemons out
  // of the signal's reach: they would go on holding these fixed ports, and the next run would fail on
  // them. So they are stopped on those signals too, and on exit (the worker exits when the main
  // vitest process is gone): in every state dir a test used, once an up.sh under way has been told
  // to stop, so it launches nothing more. By one shell in a session of its own: it goes on if vitest
  // kills this worker first (on Ctrl-C it does, before a down of some seconds is through), and a
  // second Ctrl-C does not reach it; its output goes nowhere, as a pipe to this worker would break.
  const stop = () => {
    process.off("SIGINT", onSignal).off("SIGTERM", onSignal).off("exit", stop);
    for (const child of inFlight) child.kill("SIGTERM");
    const downAllThenRemove =
      'for state in "$@"; do TOWEROPS_CLUSTER_DIR="$state" bash "$0"; done; rm -rf "$1"';
    spawnSync("setsid", ["-w", "bash", "-c", downAllThenRemove, script("down"), ...states], {
      env,
      stdio: "ignore",
      timeout: 150_000,
    });
  };
  function onSignal(signal: NodeJS.Signals) {
    stop();
    process.kill(process.pid, signal);
  }
  process.once("SIGINT", onSignal).once("SIGTERM", onSignal).once("exit", stop);
  afterAll(stop);

  it("starts, and a second up is a fast no-op", async () => {
    const first = await sh("up");
    expect(first.stdout.trim()).toBe(join(dir, "kubeconfig"));
    const started = Date.now();
    const second = await sh("up");
    expect(second.stderr).toContain("already up");
    expect(Date.now() - started).toBeLessThan(30_000);
    const status = await sh("status");
    expect(status.stdout).toMatch(/kube-scheduler\s+ok/);
  });

  it("reports a crashed component instead of hiding it", async () => {
    await run("bash", ["-c", `kill -KILL "$(cat '${dir}/run/kube-scheduler.pid')"`]);
    const err = await sh("status").then(
      () => undefined,
      (e: { code: number; stdout: string }) => e,
    );
    expect(err?.code).toBe(1);
    expect(err?.stdout).toMatch(/kube-scheduler\s+DEAD/);
  });

  it("down leaves no processes or ports behind", async () => {
    const pids = await run("bash", ["-c", `cat '${dir}'/run/*.pid`]).then((r) =>
      r.stdout.split(/\s+/).filter(Boolean),
    );
    await sh("down");
    for (const pid of pids) expect(() => process.kill(Number(pid), 0)).toThrow();
    for (const port of Object.values(ports)) expect(await portOpen(Number(port))).toBe(false);
    const status = await sh("status").catch((e: { code: number }) => e);
    expect((status as { code?: number }).code).toBe(3);
  });

  it("a start that fails stops what it started", async () => {
    // After down, on the same ports: etcd starts; the API server then refuses a port beyond 65535.
    const failing = { ...env, TOWEROPS_CLUSTER_DIR: join(dir, "failing"), TOWEROPS_APISERVER_PORT: "99999" };
    const err = await sh("up", failing).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err?.code).toBe(1);
    expect(err?.stderr).toMatch(/kube-apiserver exited during start-up/);
    expect(err?.stderr).toMatch(/start-up failed; stopping what it started/);
    expect(await portOpen(Number(ports.TOWEROPS_ETCD_PORT))).toBe(false);
    const status = await sh("status", failing).catch((e: { code: number }) => e);
    expect((status as { code?: number }).code).toBe(3);
  });
});

describe("down.sh after Ctrl-C has killed the reader of its stderr", () => {
  // As in `with-cluster.sh ... 2>&1 | tee run.log`: the teardown trap ignores SIGPIPE, so each of
  // down.sh's messages fails with EPIPE; it must stop every component all the same. No cluster is
  // needed: alive() knows a component by "$state/bin/<name>" on its command line, so stand-ins do.
  it("stops every component and removes the run directory", async () => {
    const dir = await mkdtemp(join(tmpdir(), "towerops-down-"));
    const standIns = ["kube-scheduler", "kwok"].map((name) => ({
      name,
      child: spawn(process.execPath, ["-e", "setTimeout(() => {}, 300_000)", join(dir, "bin", name)], {
        stdio: "ignore",
      }),
    }));
    try {
      await mkdir(join(dir, "run"));
      for (const { name, child } of standIns)
        await writeFile(join(dir, "run", `${name}.pid`), `${child.pid}\n`);
      const down = spawn("bash", ["-c", `trap '' PIPE; exec bash "$0"`, script("down")], {
        env: { ...process.env, ...ports, TOWEROPS_CLUSTER_DIR: dir },
        stdio: ["ignore", "ignore", "pipe"],
      });
      down.stderr.destroy();
      const code = await new Promise((resolve) => down.on("exit", resolve));
      expect(code).toBe(0);
      for (const { child } of standIns) expect(() => process.kill(child.pid as number, 0)).toThrow();
      expect(existsSync(join(dir, "run"))).toBe(false);
    } finally {
      for (const { child } of standIns) child.kill("SIGKILL");
      await rm(dir, { recursive: true, force: true });
    }
  });
});

type Versions = Record<string, string>;

const versionsEnv = new URL("./versions.env", import.meta.url);
const versionsOf = (text: string): Versions =>
  Object.fromEntries([...text.matchAll(/^(\w+)=(\S+)$/gm)].map((m) => [m[1], m[2]]));

const standIn = async (file: string, body: string) => {
  await writeFile(file, `#!/bin/sh\n${body}\n`);
  await chmod(file, 0o755);
};

/** Stand-in binaries in `cache` for `versions`, where build.sh keeps the real ones, each `body(name)`. */
async function standInCache(cache: string, versions: Versions, body: (name: string) => string) {
  const binaries = {
    [`etcd-${versions.ETCD_VERSION}`]: ["etcd"],
    [`kwok-${versions.KWOK_VERSION}`]: ["kwok"],
    [`helm-${versions.HELM_VERSION}`]: ["helm"],
    [`kubernetes-${versions.KUBERNETES_VERSION}`]: [
      "kube-apiserver",
      "kube-controller-manager",
      "kube-scheduler",
      "kubectl",
    ],
  };
  for (const [dir, names] of Object.entries(binaries)) {
    await mkdir(join(cache, "bin", dir), { recursive: true });
    for (const name of names) await standIn(join(cache, "bin", dir, name), body(name));
  }
  // The kwok stages build.sh made for the real cache, whose first line is all it checks.
  const real = process.env.TOWEROPS_BIN ?? join(homedir(), ".cache/towerops/bin");
  const stages = `kwok-${versions.KWOK_VERSION}/stages.yaml`;
  await copyFile(join(real, stages), join(cache, "bin", stages));
}

describe("build.sh's binary cache", () => {
  // A cache of stand-in binaries, and a go too old to build with, so a rebuild stops at once with
  // "needs Go" instead of compiling for half an hour.
  let cache: string;
  let env: NodeJS.ProcessEnv;
  let kubernetes: string;
  beforeAll(async () => {
    cache = await mkdtemp(join(tmpdir(), "towerops-build-"));
    const versions = versionsOf(await readFile(versionsEnv, "utf8"));
    await standInCache(cache, versions, (name) => `echo ${name}`);
    kubernetes = join(cache, "bin", `kubernetes-${versions.KUBERNETES_VERSION}`);
    await mkdir(join(cache, "go"));
    await standIn(join(cache, "go/go"), "echo go version go1.20.0 linux/amd64");
    env = { ...process.env, TOWEROPS_CACHE: cache, PATH: `${join(cache, "go")}:${process.env.PATH}` };
  });
  afterAll(() => rm(cache, { recursive: true, force: true }));

  const build = () =>
    run("bash", [script("build")], { env }).then(
      (r) => ({ code: 0, stderr: r.stderr }),
      (e: { code: number; stderr: string }) => e,
    );

  it("adopts binaries from before the records when they run, and records them", async () => {
    const first = await build();
    expect(first.stderr).toMatch(/control plane binaries ready/);
    for (const dir of await readdir(join(cache, "bin")))
      expect(await readdir(join(cache, "bin", dir))).toContain("CKSUMS");
    expect((await build()).stderr).toMatch(/control plane binaries ready/);
  });

  it("rebuilds a component any of whose binaries is not what was recorded", async () => {
    await standIn(join(kubernetes, "kube-scheduler"), "echo truncated");
    const { code, stderr } = await build();
    expect(code).toBe(1);
    expect(stderr).toMatch(/kubernetes-v[\d.]+ is not what was built .*; rebuilding it/);
    expect(stderr).toMatch(/needs Go 1\.26 or newer, found: go version go1\.20\.0/);
  });

  it("rebuilds a component from before the records whose binary does not run", async () => {
    await rm(join(kubernetes, "CKSUMS"));
    await standIn(join(kubernetes, "kube-scheduler"), "kill -SEGV $$");
    const { code, stderr } = await build();
    expect(code).toBe(1);
    expect(stderr).toMatch(/kubernetes-v[\d.]+\/kube-scheduler does not run; rebuilding it/);
  });
});

describe("a cluster of other versions than versions.env names", () => {
  // alive() knows a component by its link "$state/bin/<name>", whose path is the same for every
  // version: a cluster started before a bump was "already up", and e2e ran on the old binaries.
  // Stand-in components from a cache of stand-ins, under copies of the scripts whose versions.env
  // is bumped, on ports of their own.
  const ports = {
    TOWEROPS_ETCD_PORT: "25790",
    TOWEROPS_ETCD_PEER_PORT: "25800",
    TOWEROPS_APISERVER_PORT: "28443",
    TOWEROPS_CONTROLLER_MANAGER_PORT: "22257",
    TOWEROPS_SCHEDULER_PORT: "22259",
    TOWEROPS_KWOK_PORT: "22247",
  };
  // A daemon answers its health check on its port (TLS where the real one speaks it); kubectl and
  // helm succeed, once they have read what `kubectl apply -f -` is piped.
  const component = `const { readFileSync } = require("node:fs");
const [self, ...args] = process.argv.slice(2);
const name = require("node:path").basename(self);
const ports = ${JSON.stringify({
    etcd: ports.TOWEROPS_ETCD_PORT,
    "kube-apiserver": ports.TOWEROPS_APISERVER_PORT,
    "kube-controller-manager": ports.TOWEROPS_CONTROLLER_MANAGER_PORT,
    "kube-scheduler": ports.TOWEROPS_SCHEDULER_PORT,
    kwok: ports.TOWEROPS_KWOK_PORT,
  })};
const answer = (_req, res) => res.end("ok");
const pki = process.env.TOWEROPS_CLUSTER_DIR + "/pki";
if (args.includes("--help")) process.exit(0);
if (!ports[name]) {
  if (args.includes("apply")) process.stdin.on("end", () => process.exit(0)).resume();
  else process.exit(0);
} else if (name === "etcd" || name === "kwok") {
  require("node:http").createServer(answer).listen(Number(ports[name]), "127.0.0.1");
} else {
  const tls = { cert: readFileSync(pki + "/apiserver.crt"), key: readFileSync(pki + "/apiserver.key") };
  require("node:https").createServer(tls, answer).listen(Number(ports[name]), "127.0.0.1");
}
`;
  let dir: string;
  let scripts: string;
  let env: NodeJS.ProcessEnv;
  let versions: string;
  let bumped: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "towerops-bump-"));
    scripts = join(dir, "scripts");
    await mkdir(scripts);
    const here = fileURLToPath(new URL(".", import.meta.url));
    for (const file of await readdir(here))
      if (/\.(sh|env|yaml)$/.test(file)) await copyFile(join(here, file), join(scripts, file));
    versions = await readFile(versionsEnv, "utf8");
    const pinned = versionsOf(versions);
    bumped = `${pinned.KUBERNETES_VERSION}-bumped`;
    await writeFile(join(dir, "component.cjs"), component);
    // By exec, the component's command line keeps "$state/bin/<name>", as alive() looks for.
    const body = () => `exec '${process.execPath}' '${join(dir, "component.cjs")}' "$0" "$@"`;
    await standInCache(join(dir, "cache"), pinned, body);
    await standInCache(join(dir, "cache"), { ...pinned, KUBERNETES_VERSION: bumped }, body);
    env = {
      ...process.env,
      ...ports,
      TOWEROPS_CACHE: join(dir, "cache"),
      TOWEROPS_CLUSTER_DIR: join(dir, "state"),
      TOWEROPS_FAKE_NODES: "1",
    };
  });
  afterAll(async () => {
    await run("bash", [join(scripts, "down.sh")], { env }).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });
  const sh = (name: string, ...args: string[]) => shWith(env, name, ...args);
  const shWith = (shEnv: NodeJS.ProcessEnv, name: string, ...args: string[]) =>
    run("bash", [join(scripts, `${name}.sh`), ...args], { env: shEnv, timeout: 150_000 });
  const apiserverPid = async () => Number(await readFile(join(dir, "state/run/kube-apiserver.pid"), "utf8"));

  it("up.sh leaves one of today's versions up, and restarts one started before it recorded them", async () => {
    await sh("up");
    expect((await sh("up")).stderr).toContain("already up");
    await rm(join(dir, "state/launched"));
    expect((await sh("up")).stderr).toMatch(
      /launched from other binaries than versions\.env names .*; restarting it/,
    );
    expect((await sh("up")).stderr).toContain("already up");
  });

  it("knows the binaries by their real paths: the same cache through a symlink, or as dir/, leaves the cluster up", async () => {
    const pid = await apiserverPid();
    await symlink(join(dir, "cache"), join(dir, "cache-link"));
    for (const cache of [join(dir, "cache-link"), `${join(dir, "cache")}/`]) {
      const same = { ...env, TOWEROPS_CACHE: cache };
      expect((await shWith(same, "up")).stderr).toContain("already up");
      await shWith(same, "with-cluster", "true");
    }
    expect(process.kill(pid, 0)).toBe(true);
  });

  it("a bump whose binaries cannot be built leaves the running cluster up, under up.sh and with-cluster.sh", async () => {
    const pid = await apiserverPid();
    const unbuilt = versions.replace(/^KUBERNETES_VERSION=.*$/m, "KUBERNETES_VERSION=v1.99.0-unbuilt");
    await writeFile(join(scripts, "versions.env"), unbuilt);
    // A go too old to build with, so the build stops at once instead of compiling.
    await mkdir(join(dir, "go"));
    await standIn(join(dir, "go/go"), "echo go version go1.20.0 linux/amd64");
    const oldGo = { ...env, PATH: `${join(dir, "go")}:${env.PATH}` };
    try {
      const calls: [string, ...string[]][] = [["up"], ["with-cluster", "true"]];
      for (const [name, ...args] of calls) {
        const failed = await shWith(oldGo, name, ...args).then(
          () => expect.unreachable(`${name}.sh passed`),
          (e: { code: number; stderr: string }) => e,
        );
        expect(failed.code).toBe(1);
        expect(failed.stderr).toMatch(/restarting it once they are built/);
        expect(failed.stderr).toMatch(/needs Go 1\.26 or newer/);
        expect(failed.stderr).not.toMatch(/stopped kube-apiserver/);
        expect(process.kill(pid, 0)).toBe(true);
      }
    } finally {
      await writeFile(join(scripts, "versions.env"), versions);
    }
    expect((await sh("up")).stderr).toContain("already up");
  });

  it("with-cluster.sh runs its command on the bumped version's binaries, then stops the cluster it restarted", async () => {
    const old = await apiserverPid();
    const bump = versions.replace(/^KUBERNETES_VERSION=.*$/m, `KUBERNETES_VERSION=${bumped}`);
    await writeFile(join(scripts, "versions.env"), bump);
    const { stdout, stderr } = await sh(
      "with-cluster",
      "sh",
      "-c",
      'readlink "$TOWEROPS_CLUSTER_BIN/kube-apiserver"',
    );
    expect(stderr).toMatch(/launched from other binaries than versions\.env names .*; restarting it/);
    expect(stdout).toBe(`${join(dir, "cache/bin", `kubernetes-${bumped}`, "kube-apiserver")}\n`);
    expect(() => process.kill(old, 0)).toThrow();
    for (const port of Object.values(ports)) expect(await portOpen(Number(port))).toBe(false);
  });
});
