// validate's --user-features, read once and typed for each bundle by its own viewer tower's
// columns, as export reads item attributes: typed by the table's look, a trained code "00001"
// became 1 in a table of digits and hashed elsewhere, a column the tower was trained with could be
// missing without a word, and one only a newer candidate reads stopped the gate for its baseline.
import { constants } from "node:fs";
import { access } from "node:fs/promises";
import type { LoadedBundle } from "../../shared/bundle/bundle.ts";
import type { Logger } from "../../shared/log.ts";
import { type FeatureTable, readFeatureCells, typeColumnsAs, typedCopy } from "../data/features.ts";
import { partsOf } from "../data/parts.ts";
import type { Vocab } from "../data/table.ts";
import type { Holdout } from "../validate/holdout.ts";
import { readFeatures } from "./load.ts";

export interface BundleProfiles {
  /**
   * The holdout with the users' profiles as `bundle`'s viewer tower reads them. `last`: no bundle
   * after this one reads them, so the read is typed in place rather than copied, and let go.
   */
  of(bundle: LoadedBundle, holdout: Holdout, last: boolean): Promise<Holdout>;
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
  // Read once, when a bundle first needs it, and typed for each bundle by its own columns: a copy
  // for a bundle after which another reads it, the read itself for the last, so that no more than
  // one table beside the typed one is held while a bundle is checked.
  let cells: FeatureTable | undefined;
  let read = false;
  return {
    async of(bundle, holdout, last) {
      const features = bundle.manifest.viewerTower.features.profile;
      if (table === undefined || features.length === 0) return holdout;
      try {
        cells ??= await readFeatures(
          table,
          "--user-features",
          users,
          "users",
          maxBadRows,
          log,
          readFeatureCells,
        );
        read = true;
        const trained = { tower: "viewer" as const, features, ignoreOthers: true };
        const userFeatures = last ? typeColumnsAs(cells, trained, table) : typedCopy(cells, trained, table);
        if (last) cells = undefined;
        return { ...holdout, userFeatures };
      } catch (err) {
        throw new Error(`bundle ${bundle.manifest.version}: ${(err as Error).message}`, { cause: err });
      }
    },
    done() {
      if (table !== undefined && !read)
        log.warn(
          { userFeatures: table },
          "--user-features not read: no bundle judged has a viewer tower that reads profile features",
        );
    },
  };
}
