// In a Kubernetes pod the kubelet keeps a container's last words, the file at its
// terminationMessagePath (default /dev/termination-log, mounted into every container), and shows
// them in `kubectl describe pod` and the pod's status. A retraining Job's step writes there why it
// ended: a gate verdict's reasons, a bad-input error. Without it, FallbackToLogsOnError would keep
// only the last 2 KB of the log, where a verdict's reasons at the head of its JSON line are cut off.
// Outside a pod the file does not exist and nothing is written.
import { writeFile } from "node:fs/promises";
import { pathExists } from "../shared/bundle/files.ts";
import { componentLogger } from "../shared/log.ts";
import type { InterruptSignal } from "./interrupt.ts";

const log = componentLogger("trainer");

/** What the kubelet reads of the file. */
export const TERMINATION_MESSAGE_LIMIT = 4096;

export const terminationLogPath = () => process.env.TOWEROPS_TERMINATION_LOG || "/dev/termination-log";

/** Records `message` as this container's termination message, if it runs where one is kept. */
export async function writeTerminationMessage(message: string): Promise<void> {
  const file = terminationLogPath();
  if (!(await pathExists(file))) return;
  let bytes = Buffer.from(message);
  if (bytes.length > TERMINATION_MESSAGE_LIMIT) {
    // Cut before a character, not inside one: the pod status is JSON, and a split "é" is not UTF-8.
    let end = TERMINATION_MESSAGE_LIMIT - 3;
    while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end--;
    bytes = Buffer.concat([bytes.subarray(0, end), Buffer.from("...")]);
  }
  await writeFile(file, bytes).catch((err: Error) =>
    log.warn({ file, err: err.message }, "could not write the termination message"),
  );
}

/** Says why the command ended: one `towerops:` line on stderr, and the termination message. */
export async function reportEnd(message: string): Promise<void> {
  process.stderr.write(`towerops: ${message}\n`);
  await writeTerminationMessage(message);
}

/**
 * Says why a signal stopped the command, from the signal handler that ends it (the process exits
 * once its handlers return, so nothing after them would say it): a warning in the log as well.
 */
export async function reportStopped(
  signal: InterruptSignal,
  message: string,
  fields: Record<string, unknown> = {},
): Promise<void> {
  log.warn({ signal, ...fields }, message);
  await reportEnd(message);
}
