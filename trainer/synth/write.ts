// Writes a synthetic dataset as files the trainer reads like any user's log: events.csv plus
// items.csv (each item's true topic, usable as an item feature or as ground truth).

import { createWriteStream } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { pathExists } from "../../shared/bundle/files.ts";
import { onInterrupt } from "../interrupt.ts";
import { checkSynthOptions, type SynthOptions, type SynthWorld, synthesize } from "./model.ts";

export interface SynthFiles {
  events: string;
  items: string;
}

export const userId = (u: number): string => `u${u}`;
export const itemId = (i: number): string => `i${i}`;

export interface WriteSynthOptions {
  /** Replace an earlier events.csv / items.csv; without it their presence is an error. */
  overwrite?: boolean;
  onProgress?: (done: number, total: number) => void;
}

export async function writeSynth(
  opts: SynthOptions,
  outDir: string,
  { overwrite = false, onProgress }: WriteSynthOptions = {},
): Promise<SynthFiles> {
  checkSynthOptions(opts);
  const files = { events: join(outDir, "events.csv"), items: join(outDir, "items.csv") };
  // `events.csv` is also the name of a real log; a generator must not write over one unasked.
  if (!overwrite) {
    for (const file of Object.values(files)) {
      if (await pathExists(file)) throw new Error(`${file} already exists; pass --force to replace it`);
    }
  }
  await mkdir(outDir, { recursive: true });
  // Files cut short by a signal or an error would read like a complete, smaller log.
  const discard = async () => {
    await Promise.all(Object.values(files).map((f) => rm(f, { force: true })));
  };
  const release = onInterrupt(discard);
  try {
    const world = await writeEvents(opts, files.events, onProgress);
    await writeItems(world, files.items);
    return files;
  } catch (err) {
    await discard();
    throw err;
  } finally {
    release();
  }
}

async function writeEvents(
  opts: SynthOptions,
  file: string,
  onProgress: WriteSynthOptions["onProgress"],
): Promise<SynthWorld> {
  let world: SynthWorld | undefined;
  function* chunks(): Generator<string> {
    let chunk = "user,item,timestamp\n";
    let n = 0;
    for (const e of synthesize(opts, (w) => {
      world = w;
    })) {
      chunk += `${userId(e.user)},${itemId(e.item)},${e.timestamp}\n`;
      if (++n % 8192 === 0) {
        yield chunk;
        chunk = "";
        onProgress?.(n, opts.events);
      }
    }
    yield chunk;
  }
  await writeText(file, chunks());
  onProgress?.(opts.events, opts.events);
  if (!world) throw new Error("synth: generator produced no world");
  return world;
}

async function writeItems(world: SynthWorld, file: string): Promise<void> {
  function* chunks(): Generator<string> {
    let chunk = "item_id,topic\n";
    for (let i = 0; i < world.itemTopic.length; i++) {
      chunk += `${itemId(i)},t${world.itemTopic[i]}\n`;
      if (chunk.length > 1 << 16) {
        yield chunk;
        chunk = "";
      }
    }
    yield chunk;
  }
  await writeText(file, chunks());
}

/** Streams `chunks` into `file`; a failing disk is named with the file (ENOSPC alone names neither). */
async function writeText(file: string, chunks: Iterable<string>): Promise<void> {
  await pipeline(Readable.from(chunks), createWriteStream(file)).catch((err: NodeJS.ErrnoException) => {
    throw err.syscall ? new Error(`cannot write ${file}: ${err.message}`, { cause: err }) : err;
  });
}
