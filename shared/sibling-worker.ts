// Starts a worker thread from a module beside the caller's. The extension is the caller's own:
// `.ts` when Node runs the sources, `.js` in the built `dist/`, where a hard-coded name would miss.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";

/** `callerUrl` is the caller's `import.meta.url`; `name` the sibling module without extension. */
export function startSiblingWorker(callerUrl: string, name: string, workerData: unknown): Worker {
  const ext = path.extname(fileURLToPath(callerUrl));
  return new Worker(new URL(`./${name}${ext}`, callerUrl), { workerData });
}
