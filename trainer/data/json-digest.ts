// Digests of tables recorded in bundles (dataDigest, itemFeaturesDigest) hash what
// JSON.stringify([...table]) gives, but one entry at a time: a million-row feature table's JSON is
// past V8's longest string, and the export or train refused it as "Invalid string length".
import type { Hash } from "node:crypto";

// Entries are joined into pieces of about this many characters before they are hashed: one update
// per entry of a million-row table costs more than the hashing.
const PIECE = 1 << 16;

/** Feeds `hash` the bytes of JSON.stringify([...items]), without ever building that string. */
export function hashJsonArray(hash: Hash, items: Iterable<unknown>): Hash {
  let piece = "[";
  let first = true;
  for (const item of items) {
    // As inside an array, where undefined (or a function) is written as null.
    piece += `${first ? "" : ","}${JSON.stringify(item) ?? "null"}`;
    first = false;
    if (piece.length >= PIECE) {
      hash.update(piece);
      piece = "";
    }
  }
  return hash.update(`${piece}]`);
}
