// Preloaded with `node --import` into a measured child process: its peak resident set as the last
// stderr line, `{"peakRssBytes": n}`, so a benchmark can compare two processes doing different work.
import { writeSync } from "node:fs";

process.on("exit", () => {
  writeSync(2, `\n${JSON.stringify({ peakRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`);
});
