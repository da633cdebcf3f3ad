// Interaction tables written as rows, for tests.
import { InteractionTable } from "./table.ts";

/** Rows of [user, item, timestamp?]; a missing timestamp is the row's position. `like` lends its vocabularies. */
export function tableOf(
  rows: readonly (readonly [string, string, number?])[],
  like?: InteractionTable,
): InteractionTable {
  const t = like ? new InteractionTable(like.users, like.items) : new InteractionTable();
  rows.forEach(([user, item, timestamp], k) => {
    t.push({ user, item, timestamp: timestamp ?? k, weight: 1 });
  });
  return t;
}
