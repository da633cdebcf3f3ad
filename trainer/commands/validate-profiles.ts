// validate's --user-features, read for each bundle by its own viewer tower's columns, as export reads
// item attributes: typed by the table's look, a trained code "00001" became 1 in a table of digits
// and hashed elsewhere, a column the tower was trained with could be missing without a word, and one
// only a newer candidate reads stopped the gate for its baseline.
import { constants } from "node:fs";
import { access } from "node:fs/promises";
import type { LoadedBundle } from "../../shared/bundle/bundle.ts";
import type { Logger } from "../../shared/log.ts";
import { partsOf } from "../data/parts.ts";
import type { Vocab } from "../data/table.ts";
import type { Holdout } from "../validate/holdout.ts";
import { readFeatures } from "./load.ts";

export interface BundleProfiles {
  /** The holdout with the users' profiles as `bundle`'s viewer tower reads them. */
  of(bundle: LoadedBundle, holdout: Holdout): Promise<Holdout>;
  /** Says so when a table was given and no bundle read it. */
  done(): void;
}

/** Refuses a table that cannot be read before any work, though a bundle may not need it. */
export async function bundleProfiles(
  table: string | undefined,
  users: Vocab,
  maxBadRows: number,
  log: Logger,
): Promise<BundleProfiles> {
  // Every part as the reader will open it: a pipe, a directory without data files or a file this
  // process may not read otherwise failed only after both bundles were downloaded and opened.
  if (table !== undefined)
    try {
      for (const part of await partsOf(table)) await access(part.file, constants.R_OK);
    } catch (err) {
      // The reader's own messages start with the path; access's name it at their end.
      const message = (err as Error).message;
      throw new Error(`--user-features ${message.startsWith(table) ? message : `${table}: ${message}`}`);
    }
  let reads = 0;
  // Its bad rows and coverage are the same for every bundle: said for the first.
  const quiet = log.child({}, { level: "silent" });
  return {
    async of(bundle, holdout) {
      const features = bundle.manifest.viewerTower.features.profile;
      if (table === undefined || features.length === 0) return holdout;
      const trained = { tower: "viewer" as const, features, ignoreOthers: true };
      const userFeatures = await readFeatures(
        table,
        "--user-features",
        users,
        "users",
        maxBadRows,
        reads++ === 0 ? log : quiet,
        trained,
      ).catch((err: Error) => {
        throw new Error(`bundle ${bundle.manifest.version}: ${err.message}`, { cause: err });
      });
      return { ...holdout, userFeatures };
    },
    done() {
      if (table !== undefined && reads === 0)
        log.warn(
          { userFeatures: table },
          "--user-features not read: no bundle judged has a viewer tower that reads profile features",
        );
    },
  };
}
