// Reading an engagement log as one file against the same rows cut into part files, as a Spark job
// writes them (a header per part, gzipped or not): the parts must cost no more than the file.
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { loadInteractions } from "../../trainer/data/reader.ts";
import { writeSynth } from "../../trainer/synth/write.ts";
import { withTempDir } from "../stop.ts";

export interface ReadMeasure {
  layout: string;
  rows: number;
  seconds: number;
}

/** Cuts `file` into `parts` files under `dir`, each with the header. */
async function cut(file: string, dir: string, parts: number, gzip: boolean): Promise<void> {
  await mkdir(dir, { recursive: true });
  const lines: string[] = [];
  for await (const line of createInterface({ input: createReadStream(file) })) lines.push(line);
  const [header, ...rows] = lines;
  const per = Math.ceil(rows.length / parts);
  for (let p = 0; p < parts; p++) {
    const text = `${header}\n${rows.slice(p * per, (p + 1) * per).join("\n")}\n`;
    const name = path.join(dir, `part-${String(p).padStart(5, "0")}.csv${gzip ? ".gz" : ""}`);
    const out = createWriteStream(name);
    if (gzip) await pipeline([text], createGzip(), out);
    else await pipeline([text], out);
  }
}

/** Each layout read `repeats` times, in turns, best time kept (the machine is shared). */
export function readLayouts(events: number, parts: number, repeats = 3): Promise<ReadMeasure[]> {
  return withTempDir("towerops-bench-read-", async (dir) => {
    const files = await writeSynth({ users: events / 20, items: events / 10, events, seed: 5 }, dir);
    await cut(files.events, path.join(dir, "parts"), parts, false);
    await cut(files.events, path.join(dir, "parts-gz"), parts, true);
    const layouts: [string, string][] = [
      ["one file", files.events],
      [`${parts} part files`, path.join(dir, "parts")],
      [`${parts} gzipped part files`, path.join(dir, "parts-gz")],
    ];
    // A read before any is timed (JIT, page cache), and the layouts taken in turn, so that the
    // baseline, measured first, is not the one that pays for warming up.
    await loadInteractions(files.events);
    const measures: ReadMeasure[] = layouts.map(([layout]) => ({
      layout,
      rows: 0,
      seconds: Number.POSITIVE_INFINITY,
    }));
    for (let k = 0; k < repeats; k++) {
      for (const [i, [, source]] of layouts.entries()) {
        const t0 = performance.now();
        const rows = (await loadInteractions(source)).result.rows;
        const m = measures[i] as ReadMeasure;
        m.rows = rows;
        m.seconds = Math.min(m.seconds, (performance.now() - t0) / 1000);
      }
    }
    return measures;
  });
}
