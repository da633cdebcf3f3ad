// Output directories checked before the work that would fill them: an export or a long run that
// fails only at its first write names errno and a temporary path of its own, not the flag to fix.
import { constants } from "node:fs";
import { access, mkdir } from "node:fs/promises";

/**
 * Makes `dir` (with its parents) and checks this process may write in it; otherwise fails with
 * `lead` ("--out x: ...") and the system's reason.
 */
export async function writableDir(dir: string, lead: string): Promise<void> {
  await mkdir(dir, { recursive: true })
    .then(() => access(dir, constants.W_OK))
    .catch((err: Error) => {
      throw new Error(`${lead} (${err.message})`, { cause: err });
    });
}

/** `--out` as a directory this command fills. */
export const writableOut = (out: string) =>
  writableDir(out, `--out ${out}: not a directory this command can write to`);
