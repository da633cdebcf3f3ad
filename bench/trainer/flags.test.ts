import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseFlags, runEntry } from "../testing.ts";
import { TRAINER_CASES, tensorflowInstalled, trainerProgram } from "./flags.ts";

const parse = (...argv: string[]) => parseFlags(trainerProgram(), argv);

describe("bench:trainer flags", () => {
  it("lists every flag with its default under --help", () => {
    const { code, stdout } = parse("--help");
    expect(code).toBe(0);
    const help = stdout.replace(/\s+/g, " ");
    expect(help).toMatch(/--quick [^-]*\(default: false\)/);
    expect(help).toMatch(/--backends <names> .*\(default: wasm,cpu\) --cases/);
    expect(help).toContain(`--cases <names> cases to run`);
    expect(help).toContain(`(default: ${TRAINER_CASES.join(",")})`);
  });

  it("runs every case on wasm and cpu by default", () => {
    expect(parse().flags).toEqual({ quick: false, backends: ["wasm", "cpu"], cases: [...TRAINER_CASES] });
    expect(parse("--cases", "read,train", "--backends", "cpu").flags).toMatchObject({
      backends: ["cpu"],
      cases: ["read", "train"],
    });
  });

  it("refuses a misspelt case or backend, naming the valid ones", () => {
    expect(parse("--cases", "train,trian")).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(
        /^bench:trainer: option '--cases <names>' argument 'train,trian' is invalid\. unknown "trian"; valid: train, embed, read, export, .*niche; see --help\n$/,
      ),
    });
    expect(parse("--backends", "wsam")).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('unknown "wsam"; valid: tensorflow, wasm, cpu'),
    });
  });

  it.skipIf(tensorflowInstalled())(
    "refuses --backends tensorflow before any work when tfjs-node is not installed, saying how to install it",
    () => {
      // It used to time the other backends first, then die with a stack trace.
      expect(parse("--backends", "wasm,tensorflow")).toMatchObject({
        code: 2,
        stderr: expect.stringContaining(
          "@tensorflow/tfjs-node is not installed: install it (npm install @tensorflow/tfjs-node) or leave tensorflow out (--backends wasm,cpu)",
        ),
      });
    },
  );

  it("ends an unknown flag with one line and exit 2 from the entry point, not a stack", async () => {
    expect(await runEntry(path.join(import.meta.dirname, "main.ts"), ["--x"])).toEqual({
      code: 2,
      stdout: "",
      stderr: "bench:trainer: unknown option '--x'; see --help\n",
    });
  });
});
