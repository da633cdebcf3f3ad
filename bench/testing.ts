// For tests of the bench entry points' flags: a program parsed in-process, its exit caught, and an
// entry point run as npm runs it.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { Command } from "commander";
import { vi } from "vitest";

export interface Outcome {
  /** Undefined when the program parsed its flags and would go on to run. */
  code?: number;
  stdout: string;
  stderr: string;
  flags?: Record<string, unknown>;
}

class Exit extends Error {
  readonly code: number;
  constructor(code: number) {
    super(`exit ${code}`);
    this.code = code;
  }
}

export function parseFlags(program: Command, argv: string[]): Outcome {
  const out = { stdout: "", stderr: "" };
  program.configureOutput({
    writeOut: (s) => {
      out.stdout += s;
    },
    writeErr: (s) => {
      out.stderr += s;
    },
  });
  const exit = vi.spyOn(process, "exit").mockImplementation((code) => {
    throw new Exit(Number(code ?? 0));
  });
  try {
    return { ...out, flags: program.parse(argv, { from: "user" }).opts() };
  } catch (err) {
    if (err instanceof Exit) return { ...out, code: err.code };
    throw err;
  } finally {
    exit.mockRestore();
  }
}

export async function runEntry(
  script: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return promisify(execFile)(process.execPath, [script, ...args]).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (err: { code: number; stdout: string; stderr: string }) => ({
      code: err.code,
      stdout: err.stdout,
      stderr: err.stderr,
    }),
  );
}
