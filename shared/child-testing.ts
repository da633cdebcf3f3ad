// Node on a script or the CLI, for tests of what a command does when its output cannot be written:
// its stdout closed before it writes (the reader has gone: EPIPE) or a descriptor such as /dev/full.
import { spawn } from "node:child_process";
import { once } from "node:events";

export async function runNode(
  args: string[],
  stdout: "closed" | number,
): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, args, {
    stdio: ["ignore", stdout === "closed" ? "pipe" : stdout, "pipe"],
  });
  if (stdout === "closed") child.stdout?.destroy();
  let stderr = "";
  child.stderr?.on("data", (b: Buffer) => {
    stderr += b.toString();
  });
  // 'close', not 'exit': every line it wrote to stderr has been read by then.
  const [code] = await once(child, "close");
  return { code: code as number | null, stderr };
}

/** `node --input-type=module -e script`'s arguments. */
export const moduleScript = (script: string) => ["--input-type=module", "-e", script];
