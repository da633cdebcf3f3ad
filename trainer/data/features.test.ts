import { spawnSync } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { BadRowBudget } from "./errors.ts";
import {
  type FeatureValues,
  inferFeatureSpec,
  readFeatureCells,
  readFeatureTable,
  type TrainedColumns,
  typeColumnsAs,
  typedCopy,
} from "./features.ts";
import { partsDir } from "./testing.ts";

async function file(name: string, text: string | Buffer): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), "towerops-features-")), name);
  await writeFile(path, text);
  return path;
}

describe("readFeatureTable", () => {
  it("reads CSV with a named id column and infers the spec", async () => {
    const t = await readFeatureTable(
      await file("items.csv", "genre,item_id,year\ndrama,i1,1999\ncomedy,i2,\n"),
    );
    expect(t.get("i1")).toEqual({ genre: "drama", year: 1999 });
    expect(t.get("i2")).toEqual({ genre: "comedy" });
    // One year, so nothing to scale by: the center alone moves it to 0.
    expect(inferFeatureSpec(t, 64)).toEqual([
      { name: "genre", kind: "categorical", buckets: 64 },
      { name: "year", kind: "numeric", center: 1999, scale: 1 },
    ]);
  });

  it("orders the columns the same under every locale", () => {
    // Czech sorts "ch" after "h"; a seeded run, or a resume on another machine, must not care.
    const script = `import { inferFeatureSpec } from ${JSON.stringify(join(import.meta.dirname, "features.ts"))};
      const t = new Map([["i1", { hue: "red", chroma: 0.5, aa: "x" }]]);
      console.log(inferFeatureSpec(t).map((f) => f.name).join(","));`;
    for (const LANG of ["en_US.UTF-8", "cs_CZ.UTF-8", "da_DK.UTF-8"]) {
      const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
        env: { ...process.env, LANG, LC_ALL: LANG },
        encoding: "utf8",
      });
      expect([LANG, run.stdout.trim()]).toEqual([LANG, "aa,chroma,hue"]);
    }
  });

  it("types a table by the columns a tower was trained with, and refuses other columns", async () => {
    const trained = {
      tower: "item" as const,
      features: [
        { name: "code", kind: "categorical" as const, buckets: 64 },
        { name: "year", kind: "numeric" as const, center: 2000, scale: 10 },
      ],
    };
    const readAs = async (f: string, t: TrainedColumns) => typeColumnsAs(await readFeatureCells(f), t, f);
    // Every code is digits here, but "0042" was trained as a category beside "SW1A".
    const t = await readAs(await file("items.csv", "item,code,year\ni1,0042,1999\ni2,17,\n"), trained);
    expect(t.get("i1")).toEqual({ code: "0042", year: 1999 });
    expect(t.get("i2")).toEqual({ code: "17" });
    await expect(
      readAs(await file("extra.csv", "item,code,year,colour\ni1,1,2,red\n"), trained),
    ).rejects.toThrow(
      /extra\.csv: column "colour" is not one the item tower was trained with \(code, year\)/,
    );
    await expect(readAs(await file("short.csv", "item,code\ni1,1\n"), trained)).rejects.toThrow(
      /short\.csv: no value in column "year", which the item tower was trained with/,
    );
    await expect(readAs(await file("text.csv", "item,code,year\ni1,1,recent\n"), trained)).rejects.toThrow(
      /text\.csv: item i1: column "year" was trained as a number, and "recent" is not one/,
    );
    // A viewer tower's columns, from a table with one it has no input for: left out when asked.
    const users = await readAs(await file("users.csv", "user,code,year,premium\nu1,0042,1999,1\n"), {
      ...trained,
      tower: "viewer",
      ignoreOthers: true,
    });
    expect(users.get("u1")).toEqual({ code: "0042", year: 1999 });
    // One read typed for several towers: each gets rows of its own, the cells stay as written.
    const cells = await readFeatureCells(await file("cells.csv", "user,code,year\nu1,0042,1999\n"));
    const typed = typedCopy(cells, { ...trained, tower: "viewer" }, "cells.csv");
    expect(typed.get("u1")).toEqual({ code: "0042", year: 1999 });
    expect(cells.get("u1")).toEqual({ code: "0042", year: "1999" });
    await expect(
      readAs(await file("users-short.csv", "user,code\nu1,1\n"), {
        ...trained,
        tower: "viewer",
      }),
    ).rejects.toThrow(/users-short\.csv: no value in column "year", which the viewer tower was trained with/);
  });

  it("finds the id column by any name the log's user or item goes by", async () => {
    const csv = await readFeatureTable(await file("pins.csv", "board,Pin_Id\nb1,p1\nb2,p2\n"));
    expect(csv.get("p1")).toEqual({ board: "b1" });
    for (const key of ["pin_id", "viewer", "viewerId", "movie_id", "ID"]) {
      const jsonl = await readFeatureTable(await file("keyed.jsonl", `{"board":"b1","${key}":"p1"}\n`));
      expect([...jsonl]).toEqual([["p1", { board: "b1" }]]);
    }
  });

  it("refuses two id columns rather than keying the table by the first", async () => {
    await expect(
      readFeatureTable(await file("both.csv", "user_id,item_id,score\nu1,i1,3\n")),
    ).rejects.toThrow(
      /both.csv:1: column 2: header has 2 id columns \(user_id, item_id\): keep one, or rename the other to read it as a feature$/,
    );
    const budget = new BadRowBudget(1);
    const t = await readFeatureTable(
      await file("both.jsonl", '{"id":"a","pin":"p","x":1}\n{"id":"b","x":2}\n'),
      budget,
    );
    expect([...t.keys()]).toEqual(["b"]);
    expect(budget.samples[0]?.message).toMatch(
      /both.jsonl:1: fields "id" and "pin" both name the id: keep one, or rename the other to read it as a feature$/,
    );
  });

  it("reads a table as it was read before --columns came: a later id name keys only where no earlier one, nor a named first column, does", async () => {
    // An earlier name beside a later one keys the table; the later one is a feature.
    const cust = await readFeatureTable(await file("cust.csv", "user_id,customer_id,age\nu1,c1,20\n"));
    expect(cust.get("u1")).toEqual({ customer_id: "c1", age: 20 });
    const jsonl = await readFeatureTable(
      await file("cust.jsonl", '{"customer_id":"c1","user_id":"u1","age":20}\n'),
    );
    expect([...jsonl]).toEqual([["u1", { customer_id: "c1", age: 20 }]]);
    // Two later names, before or after the earlier one, as two such header columns are.
    for (const row of [
      '{"customer_id":"c9","product_id":"p1","user_id":"u1","age":30}',
      '{"user_id":"u1","customer_id":"c9","product_id":"p1","age":30}',
    ]) {
      const t = await readFeatureTable(await file("laters.jsonl", `${row}\n`));
      expect([...t], row).toEqual([["u1", { customer_id: "c9", product_id: "p1", age: 30 }]]);
    }
    // A named first column keys it, a later name or two beside it (a sku keyed catalogue).
    for (const header of ["sku,product_id,genre", "sku,Product ID,customer_id"]) {
      const t = await readFeatureTable(await file("sku.csv", `${header}\ni1,p1,g1\ni2,p1,g2\n`));
      expect([...t.keys()], header).toEqual(["i1", "i2"]);
    }
    // Where nothing else keys it: pandas' unnamed index, a JSONL row, a header with numbered columns.
    const indexed = await readFeatureTable(await file("index.csv", ",customer_id,age\n0,c1,20\n"));
    expect([...indexed]).toEqual([["c1", { age: 20 }]]);
    const alone = await readFeatureTable(await file("alone.jsonl", '{"Customer ID":"c1","age":20}\n'));
    expect([...alone]).toEqual([["c1", { age: 20 }]]);
    const years = await readFeatureTable(await file("years.csv", "product_id,2019,2020\np1,3,4\n"));
    expect([...years]).toEqual([["p1", { 2019: 3, 2020: 4 }]]);
    // Two of one rank are two id columns.
    await expect(
      readFeatureTable(await file("two.csv", ",customer_id,product_id,age\n0,c1,p1,20\n")),
    ).rejects.toThrow(/two.csv:1: column 3: header has 2 id columns \(customer_id, product_id\)/);
    await expect(
      readFeatureTable(await file("two.jsonl", '{"customer_id":"c1","productId":"p1","age":20}\n')),
    ).rejects.toThrow(/two.jsonl:1: fields "customer_id" and "productId" both name the id/);
    await expect(
      readFeatureTable(
        await file("two0.jsonl", '{"customer_id":"c1","productId":"p1","user_id":"u1","item":"i1"}\n'),
      ),
    ).rejects.toThrow(/two0.jsonl:1: fields "user_id" and "item" both name the id/);
  });

  it("names the id column in a repeated id's refusal when it is not the first", async () => {
    await expect(readFeatureTable(await file("dup2.csv", "genre,item_id\ng1,p1\ng2,p1\n"))).rejects.toThrow(
      /dup2.csv:3: column 2: id "p1" already has a row above \(the table is keyed by its column "item_id"\)$/,
    );
  });

  it("standardises a numeric column by the mean and deviation of the values present", async () => {
    const t = await readFeatureTable(
      await file("years.csv", "item_id,year,age\ni1,1950,1\ni2,2020,\ni3,1985,3\ni4,1985,\n"),
    );
    const [age, year] = inferFeatureSpec(t);
    expect(age).toEqual({ name: "age", kind: "numeric", center: 2, scale: 1 });
    expect(year).toMatchObject({ name: "year", kind: "numeric", center: 1985 });
    expect((year as { scale: number }).scale).toBeCloseTo(Math.sqrt((35 ** 2 * 2) / 4), 10);
  });

  it("reads gzip and semicolon-delimited tables, and gzip JSONL by its inner name", async () => {
    const semi = await readFeatureTable(await file("items.csv.gz", gzipSync("item_id;topic\ni1;a\n")));
    expect(semi.get("i1")).toEqual({ topic: "a" });
    const jsonl = await readFeatureTable(await file("users.jsonl.gz", gzipSync('{"user":"a","age":30}\n')));
    expect(jsonl.get("a")).toEqual({ age: 30 });
  });

  it("reads JSONL and reports a bad row's position", async () => {
    const t = await readFeatureTable(await file("users.jsonl", '{"user":"a","age":30}\n'));
    expect(t.get("a")).toEqual({ age: 30 });
    const bad = await file("users2.jsonl", '{"user":"a"}\n{"age":3}\n');
    await expect(readFeatureTable(bad)).rejects.toThrow(/users2.jsonl:2: no id field/);
  });

  it("keeps a column's text unless every cell is a decimal number, as a client will send it", async () => {
    const t = await readFeatureTable(
      await file(
        "users.csv",
        "user,zip,code,score,constructor\nu1,02134,12345678901234567891,1.50,x\nu2,SW1A,12345678901234567892,-2e3,\nu3,1.50,0x1A,.5,\n",
      ),
    );
    // zip and code hold text somewhere, so every cell of theirs is a category, spelt as in the file:
    // "02134" is not "2134", and two 20-digit codes stay two (as numbers they would be one double).
    const rows: FeatureValues[] = [
      { zip: "02134", code: "12345678901234567891", score: 1.5, constructor: "x" },
      { zip: "SW1A", code: "12345678901234567892", score: -2000 },
      { zip: "1.50", code: "0x1A", score: 0.5 },
    ];
    expect([...t.values()].map((v) => ({ ...v }))).toEqual(rows);
    expect(inferFeatureSpec(t, 8).map((f) => [f.name, f.kind])).toEqual([
      ["code", "categorical"],
      ["constructor", "categorical"],
      ["score", "numeric"],
      ["zip", "categorical"],
    ]);
  });

  it("refuses a number float32 cannot hold, which the tower would read as Infinity", async () => {
    const budget = new BadRowBudget(2);
    const t = await readFeatureTable(
      await file("big.csv", "item_id,price\ni1,3.4e38\ni2,1e39\ni3,-5e38\n"),
      budget,
    );
    expect([...t.keys()]).toEqual(["i1"]);
    expect(budget.samples.map((e) => e.message)).toEqual([
      expect.stringMatching(/big.csv:3: column 2: "1e39" is beyond float32's range/),
      expect.stringMatching(/big.csv:4: column 2: "-5e38" is beyond float32's range/),
    ]);
    await expect(readFeatureTable(await file("big.jsonl", '{"item":"i1","price":1e39}\n'))).rejects.toThrow(
      /big.jsonl:1: field "price": 1e\+39 is beyond float32's range/,
    );
  });

  it("reads pandas' NA tokens as missing, so a numeric column stays numeric", async () => {
    const t = await readFeatureTable(await file("na.csv", "item_id,year\ni1,1999\ni2,NaN\ni3,NA\ni4,\n"));
    expect([...t.values()]).toEqual([{ year: 1999 }, {}, {}, {}]);
    expect(inferFeatureSpec(t)).toEqual([{ name: "year", kind: "numeric", center: 1999, scale: 1 }]);
  });

  it("reads JSON null and the same tokens as missing in JSONL, as serving does", async () => {
    const rows = ['{"id":"i1","year":1999}', '{"id":"i2","year":null}', '{"id":"i3","year":"NaN"}'];
    const t = await readFeatureTable(await file("na.jsonl", `${rows.join("\n")}\n`));
    expect([...t.values()]).toEqual([{ year: 1999 }, {}, {}]);
    expect(inferFeatureSpec(t)).toEqual([{ name: "year", kind: "numeric", center: 1999, scale: 1 }]);
  });

  it("refuses a repeated id, an infinite number, a table without features, and an empty one", async () => {
    await expect(readFeatureTable(await file("dup.csv", "item_id,topic\ni1,a\ni1,b\n"))).rejects.toThrow(
      /dup.csv:3: column 1: id "i1" already has a row above/,
    );
    await expect(
      readFeatureTable(await file("dup.jsonl", '{"id":"a","x":1}\n{"id":"a","x":2}\n')),
    ).rejects.toThrow(/dup.jsonl:2: id "a" already has a row above/);
    await expect(readFeatureTable(await file("inf.csv", "id,price\ni1,Infinity\n"))).rejects.toThrow(
      /inf.csv:2: column 2: "Infinity" is not a finite number/,
    );
    await expect(readFeatureTable(await file("only.csv", "topic\nt1\n"))).rejects.toThrow(
      /only.csv:1: header has only the id column "topic", no features/,
    );
    await expect(
      readFeatureTable(await file("twice.csv", "id,topic,year,topic\ni1,a,1,b\n")),
    ).rejects.toThrow(/twice.csv:1: column 4: header repeats column "topic"/);
    await expect(readFeatureTable(await file("trailing.csv", "id,,age\ni1,x,3\n"))).rejects.toThrow(
      /trailing.csv:1: column 2: header column has no name \(a trailing delimiter\?\)/,
    );
    const quoted = await file("quoted.csv", 'id,topic,note\ni1,a,"see\ni2,b,ok"\n');
    await expect(readFeatureTable(quoted, new BadRowBudget(1))).rejects.toThrow(
      /quoted.csv:3: column 3: a quote inside the unquoted field "ok""/,
    );
    await expect(readFeatureTable(await file("qhead.csv", 'id,"topic\ni1,a\n'))).rejects.toThrow(
      /qhead.csv:1: column 2: header: a quoted field runs past the end of the line/,
    );
    // A table without a header would lose its first row, and name its features by that row's cells.
    await expect(readFeatureTable(await file("nohead.csv", "i1,2001,a\ni2,2002,b\n"))).rejects.toThrow(
      /nohead.csv:1: column 2: header "i1,2001,a" names no id column, and its column "2001" is a number: is line 1 a row\? The table needs a header line naming its columns, the id column one of id, user, user_id, /,
    );
    await expect(readFeatureTable(await file("nohead.tsv", "i1\t2001\ta\n"))).rejects.toThrow(
      'header "i1\t2001\ta" names no id column',
    );
    // Named by its id column, a table may have columns named by numbers (years).
    const years = await readFeatureTable(await file("years.csv", "item_id,2019,2020\ni1,3,4\n"));
    expect(years.get("i1")).toEqual({ 2019: 3, 2020: 4 });
    // pandas' unnamed index column is the id.
    const indexed = await readFeatureTable(await file("indexed.csv", ",age\ni1,3\n"));
    expect(indexed.get("i1")).toEqual({ age: 3 });
    await expect(readFeatureTable(await file("none.csv", "id,topic\n"))).rejects.toThrow(
      /none.csv:1: no feature rows found/,
    );
    await expect(readFeatureTable(await file("empty.csv", ""))).rejects.toThrow(
      /empty.csv: the file is empty$/,
    );
    await expect(
      readFeatureTable(await file("allbad.csv", "id,price\ni1,inf\ni2,1,2\n"), new BadRowBudget(3)),
    ).rejects.toThrow(
      /allbad.csv:3: no feature rows found: 2 bad rows skipped under --max-bad-rows 3, the first at .*allbad.csv:2: column 2: "inf" is not a finite number/,
    );
  });

  it("reads pandas' unnamed index over numbered columns as a header: an empty cell is no row's id", async () => {
    // DataFrame(embeddings, index=ids).to_csv(), as tables the previous release trained on were.
    const numbered = await readFeatureTable(await file("numbered.csv", ",0,1\ni1,0.5,2\n"));
    expect(numbered.get("i1")).toEqual({ 0: 0.5, 1: 2 });
  });

  it("leaves out pandas' unnamed index beside a named id column, and says so once for all parts", async () => {
    const told: [string, string][] = [];
    const onUnread = (file: string, detail: string) => told.push([file, detail]);
    const header = ",item_id,topic\n";
    const dir = await partsDir({ "part-0.csv": `${header}0,i1,a\n`, "part-1.csv": `${header}0,i2,b\n` });
    const t = await readFeatureTable(dir, new BadRowBudget(0), onUnread);
    expect([...t]).toEqual([
      ["i1", { topic: "a" }],
      ["i2", { topic: "b" }],
    ]);
    expect(told).toEqual([
      [
        join(dir, "part-0.csv"),
        `unnamed column 1 not read: pandas' index, beside the id column "item_id" (to_csv(index=False) leaves it out)`,
      ],
    ]);
    await expect(readFeatureTable(await file("index-only.csv", ",item_id\n0,i1\n"))).rejects.toThrow(
      /index-only.csv:1: header has only the id column "item_id", no features/,
    );
  });

  it("refuses a column with no value in any row, which the towers would leave out without a word", async () => {
    await expect(
      readFeatureTable(await file("blank.csv", "item_id,category,price\ni1,NA,\ni2,,NaN\n")),
    ).rejects.toThrow(
      /blank.csv: no value in columns "category", "price": every cell is empty or NA, so the tower would be trained without them; fill them in or leave them out$/,
    );
    await expect(
      readFeatureTable(await file("one.csv", "item_id,topic,price\ni1,a,\ni2,b,NA\n")),
    ).rejects.toThrow(/one.csv: no value in column "price": every cell is empty or NA/);
    await expect(
      readFeatureTable(await file("nulls.jsonl", '{"id":"a","x":1,"y":null}\n{"id":"b","x":2}\n')),
    ).rejects.toThrow(/nulls.jsonl: no value in column "y"/);
    await expect(readFeatureTable(await file("ids.jsonl", '{"id":"a"}\n'))).rejects.toThrow(
      /ids.jsonl: no row has a field besides its id, so there are no features$/,
    );
    // A null in a row skipped as bad names no column.
    const budget = new BadRowBudget(1);
    const t = await readFeatureTable(
      await file("skipped.jsonl", '{"id":"a","x":1,"y":null,"z":[1]}\n{"id":"b","x":2}\n'),
      budget,
    );
    expect([...t.keys()]).toEqual(["b"]);
  });

  it("refuses a JSONL boolean, which serving requests do not take either, saying how to write it", async () => {
    const budget = new BadRowBudget(1);
    const t = await readFeatureTable(
      await file("flags.jsonl", '{"id":"a","in_stock":true}\n{"id":"b","in_stock":"false"}\n'),
      budget,
    );
    expect([...t]).toEqual([["b", { in_stock: "false" }]]);
    expect(budget.samples[0]?.message).toMatch(
      /flags.jsonl:1: field "in_stock" is the boolean true, and a feature is a number or a string, as a serving request's profile gives it: write it as "true" or as 0\/1$/,
    );
  });

  it("counts inf in any of Python's spellings as infinite, not as a category", async () => {
    const values = ["inf", "-inf", "+inf", "Inf", "INF", "-Infinity", "infinity", "1e999"];
    const budget = new BadRowBudget(values.length);
    const rows = values.map((v, i) => `i${i},${v},a`).join("\n");
    const t = await readFeatureTable(await file("inf.csv", `id,price,topic\n${rows}\ni9,2,b\n`), budget);
    expect([...t.keys()]).toEqual(["i9"]);
    expect(budget.samples[0].message).toMatch(/inf.csv:2: column 2: "inf" is not a finite number$/);
    expect(budget.count).toBe(values.length);
  });

  it("refuses JSONL ids that are not non-empty strings or integers JSON holds exactly", async () => {
    const ids = ["null", '""', '{"a":1}', "[1,2]", "true", "1.5", "9007199254740993"];
    const budget = new BadRowBudget(ids.length);
    const lines = ids.map((id, i) => `{"id":${id},"age":${i}}`).join("\n");
    const t = await readFeatureTable(await file("ids.jsonl", `${lines}\n{"id":7,"age":9}\n`), budget);
    expect([...t]).toEqual([["7", { age: 9 }]]);
    expect(budget.samples.map((e) => e.message)).toEqual([
      expect.stringMatching(/ids.jsonl:1: field "id" must be a non-empty string or an integer$/),
      expect.stringMatching(/ids.jsonl:2: field "id" must be a non-empty string or an integer$/),
      expect.stringMatching(/ids.jsonl:3: field "id" must be a non-empty string or an integer$/),
      expect.stringMatching(/ids.jsonl:4: field "id" must be a non-empty string or an integer$/),
      expect.stringMatching(/ids.jsonl:5: field "id" must be a non-empty string or an integer$/),
    ]);
    expect(budget.count).toBe(ids.length);
  });

  it("refuses ids with control characters, as the log does", async () => {
    const budget = new BadRowBudget(2);
    const csv = await file("controls.csv", 'id,age\n"a\u001bb",1\nb,2\n');
    const jsonl = await file("controls.jsonl", '{"id":"a\\nb","age":1}\n{"id":"b","age":2}\n');
    expect([...(await readFeatureTable(csv, budget)).keys()]).toEqual(["b"]);
    expect([...(await readFeatureTable(jsonl, budget)).keys()]).toEqual(["b"]);
    expect(budget.samples.map((e) => e.message)).toEqual([
      `${csv}:2: column 1: id "a\\u001bb" holds a control character (U+001B): ids are one line of visible text`,
      `${jsonl}:1: field "id" "a\\nb" holds a control character (U+000A): ids are one line of visible text`,
    ]);
  });

  it("refuses a JSONL row naming a key twice, as a header repeating a column, and trims ids", async () => {
    const budget = new BadRowBudget(2);
    const path = await file(
      "twice.jsonl",
      '{"id":"a","x":1,"x":2}\n{"id":"b","id":"c","x":1}\n{"id":" d ","x":3}\n',
    );
    expect([...(await readFeatureTable(path, budget))]).toEqual([["d", { x: 3 }]]);
    expect(budget.samples.map((e) => e.message)).toEqual([
      `${path}:1: field "x" is given twice: keep one`,
      `${path}:2: field "id" is given twice: keep one`,
    ]);
  });

  it("names the column where a row's fields run out or overflow", async () => {
    const budget = new BadRowBudget(2);
    await readFeatureTable(await file("count.csv", "user,age,country\nu1,30\nu2,31,FR,x\nu3,1,US\n"), budget);
    expect(budget.samples.map((e) => e.message)).toEqual([
      expect.stringMatching(/count.csv:2: column 3: expected 3 fields, found 2$/),
      expect.stringMatching(/count.csv:3: column 4: expected 3 fields, found 4$/),
    ]);
  });

  it("reads a directory of part files that repeat one header, and refuses parts that differ", async () => {
    const t = await readFeatureTable(
      await partsDir({
        "part-00000.csv": "item_id,topic\ni1,a\n",
        "part-00001.csv": "",
        "part-00002.csv.gz": gzipSync("item_id,topic\ni2,b\n"),
        _SUCCESS: "",
      }),
    );
    expect([...t]).toEqual([
      ["i1", { topic: "a" }],
      ["i2", { topic: "b" }],
    ]);
    const json = await readFeatureTable(await partsDir({ "part-0.json": '{"id":"u1","age":3}\n' }));
    expect(json.get("u1")).toEqual({ age: 3 });
    const other = await partsDir({
      "part-0.csv": "item_id,topic\ni1,a\n",
      "part-1.csv": "item_id,year\ni2,1999\n",
    });
    await expect(readFeatureTable(other)).rejects.toThrow(
      /part-1\.csv:1: header "item_id,year" differs from .*part-0\.csv's "item_id,topic": the parts of one table must share their columns/,
    );
    const mixed = await partsDir({ "part-0.csv": "id,a\nx,1\n", "part-1.jsonl": '{"id":"y","a":2}\n' });
    await expect(readFeatureTable(mixed)).rejects.toThrow(
      /part-1\.jsonl:1: is JSONL, but .*part-0\.csv is delimited: the parts of one table must share a format/,
    );
    const empty = await partsDir({ "part-0.csv": "id,a\n", "part-1.csv": "" });
    await expect(readFeatureTable(empty)).rejects.toThrow(/: no feature rows in its 2 part files$/);
  });

  it("skips bad rows within the --max-bad-rows budget", async () => {
    const t = await readFeatureTable(
      await file("dup2.csv", "item_id,topic\ni1,a\ni1,b\ni2,c\n"),
      new BadRowBudget(1),
    );
    expect(t.get("i1")).toEqual({ topic: "a" });
    expect(t.size).toBe(2);
  });
});
