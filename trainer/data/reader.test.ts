import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { DataError } from "./errors.ts";
import { loadInteractions } from "./reader.ts";
import { partsDir } from "./testing.ts";
import { TIMESTAMP_FORMS } from "./timestamp.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "towerops-reader-"));
});

async function file(name: string, text: string | Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

describe("loadInteractions", () => {
  it("reads headerless CSV as user,item,timestamp,weight", async () => {
    const { table, result } = await loadInteractions(
      await file("a.csv", "u1,i1,10,2\nu2,i1,11\n\nu1,i2,12\n"),
    );
    expect(result).toMatchObject({ format: "csv", rows: 3, badRows: 0 });
    expect(table.users.ids).toEqual(["u1", "u2"]);
    expect([...table.item.subarray(0, 3)]).toEqual([0, 0, 1]);
    expect([...table.weight.subarray(0, 3)]).toEqual([2, 1, 1]);
  });

  it("maps header columns in any order, including ISO timestamps", async () => {
    const { table } = await loadInteractions(
      await file("h.csv", "ts,item_id,user_id\n1970-01-01T00:00:10Z,x,alice\n"),
    );
    expect(table.users.ids).toEqual(["alice"]);
    expect(table.timestamp[0]).toBe(10);
  });

  it("auto-detects the MovieLens layouts and filters by rating", async () => {
    const ml100k = await loadInteractions(
      await file("u.data", "196\t242\t3\t881250949\n186\t302\t1\t891717742\n"),
      {
        minRating: 2,
      },
    );
    expect(ml100k.result).toMatchObject({ format: "movielens-100k", rows: 1, filtered: 1 });
    expect(ml100k.table.timestamp[0]).toBe(881250949);
    const dat = await loadInteractions(await file("ratings.dat", "1::1193::5::978300760\n"));
    expect(dat.result.format).toBe("movielens-dat");
    expect(dat.table.items.ids).toEqual(["1193"]);
    const csv = await loadInteractions(
      await file("ratings.csv", "userId,movieId,rating,timestamp\n1,31,2.5,1260759144\n"),
    );
    expect(csv.result).toMatchObject({ format: "movielens-csv", rows: 1 });
    expect(csv.table.timestamp[0]).toBe(1260759144);
  });

  it("refuses to guess the layout of a .data file of tab-separated rows not named u.data", async () => {
    // Read as a headerless TSV, a renamed u.data had its rating taken for the timestamp.
    const renamed = await file("ml-100k.data", "196\t242\t3\t881250949\n");
    await expect(loadInteractions(renamed)).rejects.toThrow(
      `${renamed}:1: a .data file of tab-separated rows not named u.data may be MovieLens-100k's u.data renamed (user, item, rating, timestamp) or a headerless TSV (user, item, timestamp, weight): pass --format movielens-100k or --format tsv`,
    );
    const ml = await loadInteractions(renamed, { format: "movielens-100k" });
    expect(ml.table.timestamp[0]).toBe(881250949);
    const tsv = await loadInteractions(renamed, { format: "tsv" });
    expect(tsv.table.timestamp[0]).toBe(3);
    const headed = await loadInteractions(await file("events.data", "user\titem\tts\nu1\ti1\t5\n"));
    expect(headed.result).toMatchObject({ format: "tsv", rows: 1 });
  });

  it("reads JSONL with field aliases", async () => {
    const { table, result } = await loadInteractions(
      await file(
        "e.jsonl",
        '{"userId":"a","itemId":7,"ts":5,"weight":0.5}\n{"user":"b","item":"7","timestamp":6}\n',
      ),
    );
    expect(result.rows).toBe(2);
    expect(table.items.ids).toEqual(["7"]);
    expect(table.weight[0]).toBe(0.5);
  });

  it("takes the same field names as a header's columns, without case", async () => {
    const { table } = await loadInteractions(
      await file("pins.jsonl", '{"Viewer_Id":"a","pin_id":"p1","event_time":"2024-03-01"}\n'),
    );
    expect(table.users.ids).toEqual(["a"]);
    expect(table.items.ids).toEqual(["p1"]);
  });

  it("reads the columns and fields --columns names, in every part", async () => {
    const parts = await partsDir({
      "part-0.csv": '"Order Date",user_id,Customer,SKU\n5,x,alice,p1\n',
      "part-1.csv.gz": gzipSync('"Order Date",user_id,Customer,SKU\n6,y,bob,p2\n'),
    });
    const columns = { user: "Customer", item: "SKU", timestamp: "Order Date" };
    const { table, result } = await loadInteractions(parts, { columns });
    expect(table.users.ids).toEqual(["alice", "bob"]);
    expect(table.items.ids).toEqual(["p1", "p2"]);
    expect([...table.timestamp.subarray(0, 2)]).toEqual([5, 6]);
    expect(result.ignoredColumns).toEqual(["user_id"]);
    const jsonl = await file(
      "named.jsonl",
      '{"cust":"a","sku":"x","at":1,"qty":2}\n{"cust":"b","sku":"y","at":2}\n',
    );
    const read = await loadInteractions(jsonl, {
      columns: { user: "cust", item: "sku", timestamp: "at", weight: "qty" },
    });
    expect(read.result).toMatchObject({ rows: 2, weighted: 1, ignoredColumns: [] });
    expect(read.table.users.ids).toEqual(["a", "b"]);
  });

  it("says how to name a JSONL row's missing field, or which --columns named it", async () => {
    const path = await file("nouser.jsonl", '{"uid":"a","item":"x","ts":1}\n{"item":"y","ts":2}\n');
    await expect(loadInteractions(path)).rejects.toThrow(
      /nouser.jsonl:1: missing "user" field; the names the reader knows are user: user, user_id, .*: rename it to one of those, or name it with --columns user=<field>$/,
    );
    await expect(loadInteractions(path, { columns: { user: "uid" } })).rejects.toThrow(
      /nouser.jsonl:2: missing "uid" field \(--columns user=uid\)$/,
    );
  });

  it("refuses a JSONL row with two fields for one role rather than taking the first", async () => {
    const path = await file("two.jsonl", '{"user":"a","userId":"b","item":"x","ts":1}\n');
    await expect(loadInteractions(path)).rejects.toThrow(
      /two.jsonl:1: fields "user" and "userId" both give the user: keep one, or name the one to read with --columns user=<field>$/,
    );
  });

  it("reads a JSONL row's field of a name known before --columns came, beside a later one of its role", async () => {
    const path = await file(
      "later.jsonl",
      [
        '{"user_id":"a","item_id":"x","ts":1,"created_at":"2020-01-01T00:00:00Z"}',
        // Not read, so it may repeat, as an unread field may.
        '{"user_id":"a","item_id":"y","created_at":"x","created_at":"y","ts":2}',
        '{"customer_id":"b","item_id":"x","created_at":"1970-01-01T00:00:03Z"}',
        '{"user":"c","customer_id":"d","item_id":"x","ts":4}',
        // Two later names, before or after the earlier one, as two such header columns are.
        '{"user":"c","item":"x","eventTime":1,"created_at":2,"timestamp":5}',
        '{"user":"c","item":"x","timestamp":6,"eventTime":1,"created_at":2}',
      ].join("\n"),
    );
    const { table, result } = await loadInteractions(path);
    expect(result).toMatchObject({ rows: 6, ignoredColumns: ["created_at"] });
    expect([...table.timestamp.subarray(0, 6)]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(table.users.ids).toEqual(["a", "b", "c"]);
    for (const [row, message] of [
      [
        '{"user":"a","item":"x","created_at":1,"createdAt":2}',
        'fields "created_at" and "createdAt" both give',
      ],
      [
        '{"user":"a","item":"x","eventTime":1,"ts":2,"created_at":3,"time":4}',
        'fields "ts" and "time" both give the timestamp',
      ],
      ['{"user":"a","item":"x","ts":1,"ts":2,"created_at":3}', 'field "ts" is given twice'],
    ])
      await expect(loadInteractions(await file("later2.jsonl", row)), row).rejects.toThrow(message);
  });

  it("names file, line and column of a malformed row", async () => {
    const path = await file("bad.tsv", "u\ti\t1\nu\ti\tlater\n");
    const err = await loadInteractions(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).message).toBe(
      `${path}:2: column 3: timestamp "later" is not a number or an ISO-8601 date (YYYY-MM-DD, optionally with Thh:mm[:ss[.fff]] and Z or ±hh:mm)`,
    );
  });

  it("skips bad rows within --max-bad-rows and fails beyond it", async () => {
    const path = await file("some-bad.csv", "u,i,1\nu,,2\nu,i,x\nu,i,3\n");
    const ok = await loadInteractions(path, { maxBadRows: 2 });
    expect(ok.result).toMatchObject({ rows: 2, badRows: 2 });
    expect(ok.result.badSamples[0].message).toContain(":2: column 2: empty item id");
    await expect(loadInteractions(path, { maxBadRows: 1 })).rejects.toThrow(
      /:3: column 3: .*more than --max-bad-rows 1/,
    );
  });

  it("says why no row was left: the bad rows it skipped, and those --min-rating dropped", async () => {
    const bad = await file("allbad.csv", "user,item,ts\na,x,soon\nb,y,later\n");
    await expect(loadInteractions(bad, { maxBadRows: 5 })).rejects.toThrow(
      /allbad.csv:3: no engagement rows found: 2 bad rows skipped under --max-bad-rows 5, the first at .*allbad.csv:2: column 3: /,
    );
    const rated = await file("rated.csv", "user,item,ts,rating\na,x,1,2\nb,y,2,oops\n");
    await expect(loadInteractions(rated, { maxBadRows: 1, minRating: 4 })).rejects.toThrow(
      /rated.csv:3: no engagement rows found: 1 bad row skipped under --max-bad-rows 1, the first at .*rated.csv:3: column 4: .*; 1 rated below --min-rating 4$/,
    );
    const parts = await partsDir({
      "part-0.csv": "user,item,ts\na,x,soon\n",
      "part-1.csv": "user,item,ts\n",
    });
    await expect(loadInteractions(parts, { maxBadRows: 1 })).rejects.toThrow(
      /no engagement rows in its 2 part files: 1 bad row skipped under --max-bad-rows 1, the first at .*part-0.csv:2: column 3/,
    );
  });

  it("refuses a header of unknown names whatever --max-bad-rows, rather than reading its columns by position", async () => {
    const path = await file("products.csv", "sku,shopper,ordered_at\np1,c1,100\np2,c1,200\n");
    await expect(loadInteractions(path, { maxBadRows: 10 })).rejects.toThrow(
      /products.csv:1: header "sku,shopper,ordered_at" names no user, item or timestamp column .*: rename its columns to names the reader knows \(user: user, user_id, .*\), or name them with --columns user=<column>,item=<column>,timestamp=<column>$/,
    );
  });

  it("rejects a header without an item column and an empty file", async () => {
    await expect(loadInteractions(await file("nohdr.csv", "user,timestamp\na,1\n"))).rejects.toThrow(
      /nohdr.csv:1: header .* has no item column; the names the reader knows are item: item, item_id, /,
    );
    await expect(loadInteractions(await file("blank.csv", "\n"))).rejects.toThrow(
      /blank.csv:1: no engagement rows/,
    );
    await expect(loadInteractions(await file("empty.csv", ""))).rejects.toThrow(
      /empty.csv: the file is empty$/,
    );
  });

  it("reads gzip logs, detecting the format from the name inside .gz, and semicolon or pipe CSV", async () => {
    const jsonl = await loadInteractions(
      await file("e.jsonl.gz", gzipSync('\ufeff{"user":"a","item":"x","ts":1}\n')),
    );
    expect(jsonl.result).toMatchObject({ format: "jsonl", rows: 1 });
    const semi = await loadInteractions(await file("semi.csv", "viewer_id;item_id;ts\na;x;1\nb;y;2\n"));
    expect(semi.result).toMatchObject({ format: "csv", rows: 2 });
    expect(semi.table.items.ids).toEqual(["x", "y"]);
    const pipe = await loadInteractions(await file("pipe.csv", "a|x|1|3\n"));
    expect(pipe.table.weight[0]).toBe(3);
  });

  it("reports the header columns, or first JSONL row's fields, it does not read", async () => {
    const { result } = await loadInteractions(
      await file("clicks.csv", "user,item,ts,label\na,x,1,0\nb,y,2,1\n"),
    );
    expect(result).toMatchObject({ rows: 2, ignoredColumns: ["label"] });
    const jsonl = await loadInteractions(
      await file("clicks.jsonl", '{"user":"a","item":"x","ts":1,"label":0,"rating":3}\n'),
    );
    expect(jsonl.result).toMatchObject({ rows: 1, ignoredColumns: ["label"] });
  });

  it("counts the rows whose weight came from the log", async () => {
    const { result } = await loadInteractions(await file("w.csv", "u,i,1,2\nu,i,2\nu,i,3,\n"));
    expect(result).toMatchObject({ rows: 3, weighted: 1 });
  });

  it("refuses --min-rating on a log without ratings instead of reading it unfiltered", async () => {
    await expect(
      loadInteractions(await file("norating.csv", "user,item,ts\na,x,1\n"), { minRating: 4 }),
    ).rejects.toThrow(
      /norating.csv:1: --min-rating needs a rating column, and this log has none; name it with --columns rating=<column>$/,
    );
    const jsonl = await file(
      "r.jsonl",
      '{"user":"a","item":"x","ts":1,"rating":5}\n{"user":"a","item":"y","ts":2}\n',
    );
    await expect(loadInteractions(jsonl, { minRating: 4 })).rejects.toThrow(
      /r.jsonl:2: missing "rating" field, which --min-rating needs/,
    );
    const rated = await loadInteractions(await file("rated.csv", "user,item,ts,rating\na,x,1,5\na,y,2,\n"), {
      minRating: 4,
      maxBadRows: 1,
    });
    expect(rated.result).toMatchObject({ rows: 1, badRows: 1 });
    expect(rated.result.badSamples[0].detail).toBe('rating "" is not a number');
  });

  it("reads a directory of part files, each with its header, as one log", async () => {
    const dir = await partsDir({
      "dt=2024-03-01/part-00000.csv.gz": gzipSync("user,item,ts\na,x,1\nb,y,2\n"),
      "dt=2024-03-01/part-00001.csv": "",
      "dt=2024-03-01/_SUCCESS": "",
      "dt=2024-03-02/part-00000.csv": "user,item,ts\nc,x,3\n",
    });
    const progress: [number, number][] = [];
    const { table, result } = await loadInteractions(dir, { onProgress: (b, t) => progress.push([b, t]) });
    expect(result).toMatchObject({ format: "csv", rows: 3 });
    expect(table.users.ids).toEqual(["a", "b", "c"]);
    const total = progress.at(-1)?.[1] ?? 0;
    expect(total).toBeGreaterThan(0);
    expect(progress.at(-1)).toEqual([total, total]);
  });

  it("names the part and its line, and refuses parts of different formats or with no rows", async () => {
    const bad = await partsDir({ "part-0.csv": "a,x,1\n", "part-1.csv": "b,y,1\nb,z,soon\n" });
    await expect(loadInteractions(bad)).rejects.toThrow(
      new RegExp(`^${join(bad, "part-1.csv")}:2: column 3: timestamp "soon"`),
    );
    const mixed = await partsDir({
      "part-0.csv": "a,x,1\n",
      "part-1.jsonl": '{"user":"b","item":"y","ts":1}\n',
    });
    await expect(loadInteractions(mixed)).rejects.toThrow(
      /part-1\.jsonl:1: reads as jsonl, but .*part-0\.csv as csv: the parts of one log must share a format/,
    );
    // `split -l` keeps the header in the first part only: the next would be read by position.
    const cut = await partsDir({ "part-aa": "item,user,timestamp\ni1,u1,1\n", "part-ab": "i2,u2,2\n" });
    await expect(loadInteractions(cut)).rejects.toThrow(
      /part-ab:1: has no header, but .*part-aa starts with one: give every part the header/,
    );
    const late = await partsDir({ "part-0.csv": "u1,i1,1\n", "part-1.csv": "user,item,ts\nu2,i2,2\n" });
    await expect(loadInteractions(late)).rejects.toThrow(
      /part-1\.csv:1: starts with a header, but .*part-0\.csv does not/,
    );
    // Each part's header maps its own columns.
    const reordered = await partsDir({
      "part-0.csv": "user,item,ts\nu1,i1,1\n",
      "part-1.csv": "item,ts,user\ni2,2,u2\n",
    });
    expect((await loadInteractions(reordered)).table.users.ids).toEqual(["u1", "u2"]);
    const empty = await partsDir({ "part-0.csv": "", "part-1.csv": "user,item,ts\n" });
    await expect(loadInteractions(empty)).rejects.toThrow(/: no engagement rows in its 2 part files$/);
  });

  it("refuses a row whose quoted field runs on past the line, instead of reading its text as rows", async () => {
    const log = await file("note.csv", 'user,item,timestamp,note\nu1,i1,1,"see\nu9,i9,2,ok"\nu2,i2,3,fine\n');
    const { table, result } = await loadInteractions(log, { maxBadRows: 2 });
    expect(result.badSamples.map((e) => e.message)).toEqual([
      `${log}:2: column 4: a quoted field runs past the end of the line (line breaks inside fields are not supported)`,
      `${log}:3: column 4: a quote inside the unquoted field "ok"": quote the whole field and double its quotes`,
    ]);
    expect(table.users.ids).toEqual(["u2"]);
  });

  it("counts a row on line 1 that cannot be split as a bad row, and lays the log out by the next", async () => {
    const log = await file("quote1.csv", 'u1,i"1,5\nu2,i2,6\nu3,i3,7\n');
    const { table, result } = await loadInteractions(log, { maxBadRows: 1 });
    expect(table.users.ids).toEqual(["u2", "u3"]);
    expect(result.badSamples.map((e) => e.message)).toEqual([
      `${log}:1: column 2: a quote inside the unquoted field "i"": quote the whole field and double its quotes`,
    ]);
    await expect(loadInteractions(log)).rejects.toThrow(
      `${log}:1: column 2: a quote inside the unquoted field "i""`,
    );
  });

  it("refuses a header on line 1 that cannot be split whatever --max-bad-rows, rather than reading the rows by position", async () => {
    // Skipped, it left the next line to lay the log out as headerless: items read as users.
    const named = await file("quote1h.csv", 'item_id,user_id,ts,"note\ni1,u1,5\ni2,u1,6\n');
    await expect(loadInteractions(named, { maxBadRows: 1 })).rejects.toThrow(
      `${named}:1: column 4: header: a quoted field runs past the end of the line`,
    );
    const unknown = await file("quote1u.csv", 'sku,"shopper\np1,c1,5\n');
    await expect(loadInteractions(unknown, { maxBadRows: 1 })).rejects.toThrow(
      `${unknown}:1: column 2: header: a quoted field runs past the end of the line`,
    );
  });

  it("refuses ids with control characters, which the item list (one id per line) cannot hold", async () => {
    const jsonl = await file(
      "breaks.jsonl",
      '{"user":"u1","item":"bad\\nitem","ts":1}\n{"user":"u\\r2","item":"i","ts":2}\n{"user":"u3","item":"i","ts":3}\n',
    );
    const read = await loadInteractions(jsonl, { maxBadRows: 2 });
    expect(read.table.items.ids).toEqual(["i"]);
    expect(read.result.badSamples.map((e) => e.message)).toEqual([
      `${jsonl}:1: field "item" "bad\\nitem" holds a control character (U+000A): ids are one line of visible text`,
      `${jsonl}:2: field "user" "u\\r2" holds a control character (U+000D): ids are one line of visible text`,
    ]);
    // Delimited text cannot hold a line break in a field, but a quoted field can hold a tab or an
    // escape (a NUL fails the whole file).
    const csv = await file("controls.csv", 'user,item,ts\n"a\tb",i,1\nu,"i\u001b",2\nu,i,3\n');
    const { table, result } = await loadInteractions(csv, { maxBadRows: 2 });
    expect(table.users.ids).toEqual(["u"]);
    expect(result.badSamples.map((e) => e.message)).toEqual([
      `${csv}:2: column 1: user id "a\\tb" holds a control character (U+0009): ids are one line of visible text`,
      `${csv}:3: column 2: item id "i\\u001b" holds a control character (U+001B): ids are one line of visible text`,
    ]);
  });

  it("reads a U+2028 or U+2029 inside a row as part of it, refused in an id, and numbers later lines right", async () => {
    // node:readline broke lines there too: the row became two broken rows, and every line after it
    // was named one too far on.
    const csv = await file(
      "separators.csv",
      'user,item,ts\nu1,i1,1\nu2,"i\u2028x",2\nu3,i3,3\nbad\nu4,i4,4\n',
    );
    const { table, result } = await loadInteractions(csv, { maxBadRows: 2 });
    expect(table.items.ids).toEqual(["i1", "i3", "i4"]);
    expect(result.badSamples.map((e) => e.message)).toEqual([
      `${csv}:3: column 2: item id "i\\u2028x" holds a line or paragraph separator (U+2028): ids are one line of visible text`,
      `${csv}:5: column 2: expected 3 fields, found 1`,
    ]);
    const jsonl = await file(
      "separators.jsonl",
      '{"user":"u1","item":"i\u2029x","ts":1}\n{"user":"u2","item":"i2","ts":2}\n',
    );
    const read = await loadInteractions(jsonl, { maxBadRows: 1 });
    expect(read.table.items.ids).toEqual(["i2"]);
    expect(read.result.badSamples.map((e) => e.message)).toEqual([
      `${jsonl}:1: field "item" "i\\u2029x" holds a line or paragraph separator (U+2029): ids are one line of visible text`,
    ]);
  });

  it("refuses JSONL rows a delimited log would refuse: a timestamp in an array, a key twice, a blank id", async () => {
    const path = await file(
      "lenient.jsonl",
      [
        '{"user":"u1","item":"i1","ts":[5]}',
        '{"user":"u1","item":"i2","ts":["2024-01-01"]}',
        '{"user":"a","user":"b","item":"i3","ts":1}',
        '{"user":" ","item":"i4","ts":1}',
        '{"user":" u5 ","item":"i5","ts":1}',
      ].join("\n"),
    );
    const { table, result } = await loadInteractions(path, { maxBadRows: 4 });
    expect(table.users.ids).toEqual(["u5"]);
    expect(result.badSamples.map((e) => e.message)).toEqual([
      `${path}:1: field "ts" is not ${TIMESTAMP_FORMS}`,
      `${path}:2: field "ts" is not ${TIMESTAMP_FORMS}`,
      `${path}:3: field "user" is given twice: keep one`,
      `${path}:4: field "user" must be a non-empty string or an integer`,
    ]);
  });

  it("refuses hex and binary weights and ratings, which Number() would read as 16 and 3", async () => {
    const weights = await loadInteractions(await file("hexw.csv", "a,x,1,0x10\nb,y,2,2\n"), {
      maxBadRows: 1,
    });
    expect(weights.result.badSamples[0]).toMatchObject({
      line: 1,
      column: 4,
      detail: 'weight "0x10" is not a non-negative number',
    });
    expect([...weights.table.weight.subarray(0, weights.table.length)]).toEqual([2]);
    const ratings = await loadInteractions(
      await file("hexr.csv", "user,item,ts,rating\na,x,1,0b11\nb,y,2,5\n"),
      { minRating: 4, maxBadRows: 1 },
    );
    expect(ratings.result.badSamples[0]).toMatchObject({ line: 2, detail: 'rating "0b11" is not a number' });
    expect(ratings.table.users.ids).toEqual(["b"]);
  });

  it("refuses a weight float32 cannot hold, which the table would store as Infinity", async () => {
    const csv = await loadInteractions(await file("w32.csv", "u1,i1,100,1e39\nu2,i2,200,3e38\n"), {
      maxBadRows: 1,
    });
    expect(csv.result).toMatchObject({ rows: 1, badRows: 1 });
    expect(csv.result.badSamples[0].message).toMatch(
      /w32.csv:1: column 4: weight "1e39" is beyond float32's range \(at most 3.4e38\)$/,
    );
    expect(csv.table.weight[0]).toBe(Math.fround(3e38));
    const jsonl = await file("w32.jsonl", '{"user":"a","item":"x","ts":1,"weight":1e39}\n');
    await expect(loadInteractions(jsonl)).rejects.toThrow(
      /w32.jsonl:1: field "weight" is beyond float32's range \(at most 3.4e38\)$/,
    );
  });

  it("refuses a positive weight float32 stores as 0, which would leave its event untrained", async () => {
    const csv = await file("w0.csv", "a,x,1,1e-50\nb,y,2,1e-40\nc,z,3,0\n");
    const { table, result } = await loadInteractions(csv, { maxBadRows: 1 });
    expect(result.badSamples.map((e) => e.message)).toEqual([
      `${csv}:1: column 4: weight "1e-50" is below float32's smallest positive value (1.4e-45), which stores it as 0`,
    ]);
    // A subnormal weight is still above 0, and a weight of 0 is what the log says.
    expect([...table.weight.subarray(0, 2)]).toEqual([Math.fround(1e-40), 0]);
    const jsonl = await file("w0.jsonl", '{"user":"a","item":"x","ts":1,"weight":1e-50}\n');
    await expect(loadInteractions(jsonl)).rejects.toThrow(
      /w0.jsonl:1: field "weight" is below float32's smallest positive value \(1.4e-45\), which stores it as 0$/,
    );
  });

  it("reads zoneless ISO timestamps as UTC whatever TZ is, and refuses what is not ISO-8601", async () => {
    const tz = process.env.TZ;
    process.env.TZ = "Asia/Tokyo";
    try {
      const { table } = await loadInteractions(
        await file(
          "tz.csv",
          "user,item,ts\na,x,2024-03-01T00:30:00\na,y,2024-03-01 00:30:00Z\na,z,2024-03-01\n",
        ),
      );
      const t = Date.UTC(2024, 2, 1, 0, 30) / 1000;
      expect([...table.timestamp.subarray(0, 3)]).toEqual([t, t, t - 1800]);
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
    const junk = await loadInteractions(await file("junk.csv", "u1,i1,foo 2\nu2,i2,12/31/2024\nu3,i3,5\n"), {
      maxBadRows: 2,
    });
    expect(junk.result).toMatchObject({ rows: 1, badRows: 2 });
    expect(junk.result.badSamples.map((e) => e.message)).toEqual([
      expect.stringMatching(
        /junk.csv:1: column 3: timestamp "foo 2" is not a number or an ISO-8601 date \(YYYY-MM-DD/,
      ),
      expect.stringMatching(
        /junk.csv:2: column 3: timestamp "12\/31\/2024" is not a number or an ISO-8601 date/,
      ),
    ]);
    await expect(
      loadInteractions(await file("junk.jsonl", '{"user":"a","item":"x","ts":"click 3"}\n')),
    ).rejects.toThrow(/junk.jsonl:1: field "ts" is not a number or an ISO-8601 date \(YYYY-MM-DD/);
  });

  it("refuses JSON number ids that are not integers JSON holds exactly, instead of merging them", async () => {
    const { table, result } = await loadInteractions(
      await file(
        "big.jsonl",
        [
          '{"user":9007199254740993,"item":"a","ts":1}',
          '{"user":9007199254740992,"item":"b","ts":2}',
          '{"user":"9007199254740993","item":"c","ts":3}',
          '{"user":9007199254740991,"item":1.5,"ts":4}',
          '{"user":9007199254740991,"item":2,"ts":5}',
        ].join("\n"),
      ),
      { maxBadRows: 3 },
    );
    expect(table.users.ids).toEqual(["9007199254740993", "9007199254740991"]);
    expect(result.badSamples.map((e) => e.message)).toEqual([
      expect.stringMatching(
        /big.jsonl:1: field "user" is a number beyond 2\^53, which loses precision in JSON: write such ids as strings$/,
      ),
      expect.stringMatching(/big.jsonl:2: field "user" is a number beyond 2\^53/),
      expect.stringMatching(/big.jsonl:4: field "item" is 1.5: ids are strings or integers$/),
    ]);
  });

  it("refuses a row with more fields than its header or the headerless layout", async () => {
    const header = await loadInteractions(
      await file("extra.csv", "timestamp,user,item\n100,u1,Tom, Jerry\n200,u2,i2\n"),
      { maxBadRows: 1 },
    );
    expect(header.table.items.ids).toEqual(["i2"]);
    expect(header.result.badSamples[0].message).toMatch(/extra.csv:2: column 4: expected 3 fields, found 4$/);
    await expect(loadInteractions(await file("extra2.csv", "u1,i1,100,2,junk\n"))).rejects.toThrow(
      /extra2.csv:1: column 5: expected 4 fields, found 5$/,
    );
    const ml = await file("ratings.dat", "1::1193::5::978300760::x\n");
    await expect(loadInteractions(ml)).rejects.toThrow(
      /ratings.dat:1: column 5: expected 4 fields, found 5$/,
    );
    // A trailing weight column may still be left out.
    const short = await loadInteractions(await file("short.csv", "user,item,ts,weight\na,x,1\nb,y,2,3\n"));
    expect(short.result).toMatchObject({ rows: 2, weighted: 1 });
  });

  it("reads --format movielens-csv only under ratings.csv's header", async () => {
    const headerless = await file("mlnohdr.csv", "1,10,5,874965758\n2,20,3,876893171\n");
    await expect(loadInteractions(headerless, { format: "movielens-csv" })).rejects.toThrow(
      `${headerless}:1: expected the header "userId,movieId,rating,timestamp" of MovieLens ratings.csv, found "1,10,5,874965758"`,
    );
    const reordered = await file("mlreorder.csv", "timestamp,movieId,userId,rating\n874965758,10,1,5\n");
    await expect(loadInteractions(reordered, { format: "movielens-csv" })).rejects.toThrow(
      /mlreorder.csv:1: expected the header "userId,movieId,rating,timestamp" of MovieLens ratings.csv, found "timestamp,movieId,userId,rating" \(read as --format movielens-csv; the file looks like csv\)$/,
    );
    const wider = await loadInteractions(
      await file("ratings-tagged.csv", "userId,movieId,rating,timestamp,tag\n1,31,2.5,1260759144,x\n"),
    );
    expect(wider.result).toMatchObject({ format: "csv", rows: 1 });
    expect(wider.table.timestamp[0]).toBe(1260759144);
  });

  it("says when a forced --format disagrees with what the file looks like", async () => {
    const path = await file("forced.csv", "user,item,timestamp\na,x,1\n");
    await expect(loadInteractions(path, { format: "movielens-dat" })).rejects.toThrow(
      /forced.csv:1: column 2: expected 4 fields, found 1 \(read as --format movielens-dat; the file looks like csv\)/,
    );
    // Also when the first line cannot be split, before any row is read.
    const jsonl = await file("forced.jsonl", '{"user":"a","item":"b","ts":1}\n');
    await expect(loadInteractions(jsonl, { format: "csv" })).rejects.toThrow(
      /forced.jsonl:1: .*\(read as --format csv; the file looks like jsonl\)/,
    );
  });

  it("says a JSON array is not a log of one row per line", async () => {
    const array = await file("arr.json", '[{"user":"a","item":"b","ts":1}]\n');
    await expect(loadInteractions(array)).rejects.toThrow(
      /arr.json:1: starts a JSON array; the log must have one row per line: JSON Lines/,
    );
  });
});
