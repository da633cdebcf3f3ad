// Which of the viewer role's --bundle values are served: the current one and at most `keep`
// previous ones. Applied before anything is resolved, so a bundle beyond --keep is never
// downloaded or hashed, by a single process or by the primary of --workers.
import type { Logger } from "../shared/log.ts";

export function keptVersions<T>(bundles: readonly T[], keep: number, log: Logger): T[] {
  if (!Number.isInteger(keep) || keep < 0) throw new Error(`--keep must be >= 0, got ${keep}`);
  const kept = bundles.slice(0, keep + 1);
  if (kept.length < bundles.length) {
    log.warn({ given: bundles.length, keep }, "more bundles than --keep allows; serving the first ones");
  }
  return kept;
}
