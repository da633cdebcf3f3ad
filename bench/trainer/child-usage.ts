// Preloaded with `node --import` into a measured child process: its peak resident set and the CPU
// time it used as the last stderr line, `{"peakRssBytes": n, "cpuSeconds": s}`, so a benchmark can
// compare two processes doing different work. CPU time beside wall time: a child slowed by load
// from elsewhere loses wall time, not CPU time, so a CPU-time ratio survives a noisy machine.
import { writeSync } from "node:fs";

process.on("exit", () => {
  const u = process.resourceUsage();
  const usage = { peakRssBytes: u.maxRSS * 1024, cpuSeconds: (u.userCPUTime + u.systemCPUTime) / 1e6 };
  writeSync(2, `\n${JSON.stringify(usage)}\n`);
});
