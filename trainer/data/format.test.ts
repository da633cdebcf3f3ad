import { describe, expect, it } from "vitest";
import { logNames } from "./columns.ts";
import { detectFormat, layoutFor } from "./format.ts";

describe("detectFormat", () => {
  it("reads ml-100k's u1-u5 and ua/ub splits as u.data, by name", () => {
    for (const name of ["u.data", "u1.base", "u5.test", "ua.base", "ub.test", "/ml-100k/U2.BASE"]) {
      expect(detectFormat(name, "1\t1\t5\t874965758")).toBe("movielens-100k");
    }
    for (const name of ["u6.base", "u.base", "u1.test.csv"]) {
      expect(detectFormat(name, "1\t1\t5\t874965758")).toBe("tsv");
    }
  });

  it("leaves a .data file of tab-separated rows not named u.data to --format", () => {
    // A renamed u.data as much as a headerless user, item, timestamp, weight log.
    for (const name of ["ml-100k.data", "events.data", "/x/U.DATA.data"]) {
      expect(detectFormat(name, "196\t242\t3\t881250949")).toBeUndefined();
    }
    expect(detectFormat("events.data", "user\titem\tts")).toBe("tsv");
    expect(detectFormat("events.data", "u1,i1,5")).toBe("csv");
  });

  it("takes movielens-dat for a .dat file or four ::-separated fields, never in a .csv or .tsv", () => {
    expect(detectFormat("ratings.dat", "1::1193::5::978300760")).toBe("movielens-dat");
    expect(detectFormat("ratings.dat", "1::1193::5")).toBe("movielens-dat");
    expect(detectFormat("ratings", "1::1193::5::978300760")).toBe("movielens-dat");
    // An IPv6 address or a C++ name as the first id, a "::" in a column name.
    expect(detectFormat("events", "fe80::1,i1,1")).toBe("csv");
    expect(detectFormat("events", "ns::User,ns::Item,ts,x::y")).toBe("csv");
    expect(detectFormat("ipv6.tsv", "fe80::1\ti1\t1")).toBe("tsv");
    expect(detectFormat("header.csv", "user,item,timestamp,note::x")).toBe("csv");
    expect(detectFormat("odd.csv", "a::b::c::d")).toBe("csv");
  });

  it("takes only ratings.csv's exact header for movielens-csv", () => {
    expect(detectFormat("ratings.csv", "userId,movieId,rating,timestamp")).toBe("movielens-csv");
    expect(detectFormat("ratings.csv", "userId,movieId,rating,timestamp,tag")).toBe("csv");
  });
});

describe("layoutFor", () => {
  it("caps a row's fields at its header's columns, or at a fixed layout's", () => {
    expect(layoutFor("csv", "ts,user,item")).toMatchObject({ fields: 3 });
    expect(layoutFor("csv", "u1,i1,5")).toMatchObject({ fields: 4 });
    expect(layoutFor("movielens-dat", "1::1193::5::978300760")).toMatchObject({ fields: 4 });
  });

  it("names the header columns no role reads", () => {
    expect(layoutFor("csv", "user,item,ts,label, Session ")).toMatchObject({ ignored: ["label", "Session"] });
    expect(layoutFor("csv", "user,item,ts,weight,rating")).toMatchObject({ ignored: [] });
    expect(layoutFor("csv", "u1,i1,5")).toMatchObject({ ignored: [] });
    expect(layoutFor("jsonl", '{"userId":1,"item":2,"ts":3,"session":"s"}')).toMatchObject({
      ignored: ["session"],
    });
    expect(layoutFor("jsonl", "[1, 2]")).toMatchObject({ ignored: [] });
    expect(layoutFor("jsonl", "{not json")).toMatchObject({ ignored: [] });
  });

  it("refuses a header with two columns for one role rather than taking the first", () => {
    expect(() => layoutFor("csv", "user,item,ts,timestamp")).toThrow(
      'header "user,item,ts,timestamp" has 2 timestamp columns (ts, timestamp): keep one, or name the one to read with --columns timestamp=<column>',
    );
    expect(() => layoutFor("csv", "User_ID,item_id,timestamp,user")).toThrow(
      "has 2 user columns (User_ID, user)",
    );
    expect(() => layoutFor("csv", "user,item,ts,weight,w")).toThrow("has 2 weight columns (weight, w)");
  });

  it("refuses a line 1 without a digit, which no row is, as a header of unknown names", () => {
    expect(() => layoutFor("csv", "sku,shopper,ordered_at")).toThrow(
      'header "sku,shopper,ordered_at" names no user, item or timestamp column (a row would hold a digit, in its timestamp): rename its columns to names the reader knows (user: user, user_id, userid, viewer, viewer_id, viewerid, customer_id, customerid; item: item, item_id, itemid, movieid, movie_id, pin, pin_id, product_id, productid; timestamp: timestamp, ts, time, event_time, eventtime, created_at, createdat; weight: weight, w; rating: rating), or name them with --columns user=<column>,item=<column>,timestamp=<column>',
    );
    // A timestamp that is no timestamp (12/31/2024) still has a digit: a bad row, not a header.
    expect(layoutFor("csv", "alice,matrix,12/31/2024")).toMatchObject({ header: false, user: 0 });
  });

  it("knows the common names, in any case, with a space or hyphen as _ (Excel's User ID)", () => {
    for (const header of [
      "customer_id,product_id,created_at",
      '"User ID","Item ID","Timestamp"',
      "Customer-ID,Product Id,Created  At",
      "user_id,item_id,event_time",
    ])
      expect(layoutFor("csv", header), header).toMatchObject({
        header: true,
        user: 0,
        item: 1,
        timestamp: 2,
      });
  });

  it("reads a name known before --columns came beside a later one of its role, leaving that one unread", () => {
    // Logs read so before created_at, product_id and "User ID" were known names.
    expect(layoutFor("csv", "user_id,item_id,timestamp,created_at")).toMatchObject({
      timestamp: 2,
      ignored: ["created_at"],
    });
    expect(layoutFor("csv", "user_id,item_id,product_id,timestamp")).toMatchObject({
      item: 1,
      ignored: ["product_id"],
    });
    expect(layoutFor("csv", '"User ID",user,item,ts')).toMatchObject({ user: 1, ignored: ["User ID"] });
    expect(
      layoutFor("jsonl", '{"user_id":"u","item_id":"i","ts":1,"created_at":"2020-01-01"}'),
    ).toMatchObject({
      ignored: ["created_at"],
    });
    // Two of one rank are still two columns for one role.
    expect(() => layoutFor("csv", "customer_id,CustomerID,item,ts")).toThrow(
      "has 2 user columns (customer_id, CustomerID)",
    );
    expect(() => layoutFor("csv", "user,item,Created At,eventtime")).toThrow(
      "has 2 timestamp columns (Created At, eventtime)",
    );
  });

  it("ends the refusal of a header without a role's column with what to do", () => {
    expect(() => layoutFor("csv", "user_id,item_id,placed_at")).toThrow(
      'header "user_id,item_id,placed_at" has no timestamp column; the names the reader knows are timestamp: timestamp, ts, time, event_time, eventtime, created_at, createdat: rename it to one of those, or name it with --columns timestamp=<column>',
    );
    expect(() => layoutFor("csv", "buyer,sku,ts")).toThrow(
      /has no user, item column; the names .*: rename them to one of those, or name them with --columns user=<column>,item=<column>$/,
    );
  });

  it("reads the columns --columns names, leaving a known name of a named role unread", () => {
    const naming = logNames({ user: "Customer", item: "SKU", timestamp: "Order Date" });
    expect(layoutFor("csv", 'user_id,"Order Date",SKU,Customer,w', naming)).toMatchObject({
      header: true,
      fields: 5,
      user: 3,
      item: 2,
      timestamp: 1,
      weight: 4,
      ignored: ["user_id"],
    });
    // A header of no known name with a digit is no row when --columns names its columns.
    expect(
      layoutFor("csv", "a1,b1,c1,d1", logNames({ user: "a1", item: "b1", timestamp: "c1" })),
    ).toMatchObject({ header: true, user: 0, item: 1, timestamp: 2, ignored: ["d1"] });
    expect(() => layoutFor("csv", "cust,sku,ts2", logNames({ user: "cust" }))).toThrow(
      'header "cust,sku,ts2" has no item, timestamp column;',
    );
    expect(() => layoutFor("csv", "cust,user,when,when", logNames({ timestamp: "when" }))).toThrow(
      /has 2 timestamp columns \(when, when\): keep one$/,
    );
    expect(
      layoutFor("jsonl", '{"cust":1,"user":2,"sku":3,"ts":4}', logNames({ user: "cust" })),
    ).toMatchObject({
      ignored: ["user", "sku"],
    });
  });

  it("refuses a name --columns gives that line 1 lacks, naming what it has", () => {
    const naming = logNames({ user: "customer", item: "sku" });
    expect(() => layoutFor("csv", "Customer,sku,ts", naming)).toThrow(
      '--columns user=customer: line 1 has no column "customer" (its columns: Customer, sku, ts)',
    );
    // Line 1 may be a row: a headerless log's columns are read by position, not named.
    expect(() => layoutFor("tsv", "u1\ti1\t5", naming)).toThrow(
      '--columns user=customer,item=sku: line 1 has no column "customer" or "sku" (its columns: u1, i1, 5); --columns names a header\'s columns, and a log without a header is read by position (user, item, timestamp[, weight]): give it a header line, or put its columns in that order',
    );
    // A JSONL row may leave out its weight, not its user.
    expect(() => layoutFor("jsonl", '{"user":"u1","item":"i1","ts":5}', naming)).toThrow(
      '--columns user=customer,item=sku: line 1 has no field "customer" or "sku" (its fields: user, item, ts)',
    );
    expect(
      layoutFor("jsonl", '{"uid":"u1","item":"i1","ts":5}', logNames({ user: "uid", weight: "n" })),
    ).toMatchObject({
      ignored: [],
    });
    expect(layoutFor("jsonl", "{not json", naming)).toMatchObject({ ignored: [] });
    // With --columns, line 1 is a header, whatever fault it has.
    expect(layoutFor("csv", 'u1,"i1', naming)).toMatchObject({ column: 2, header: true });
  });

  it("refuses --columns for MovieLens layouts, whose columns are fixed", () => {
    const naming = logNames({ weight: "rating" });
    expect(() => layoutFor("movielens-dat", "1::1193::5::978300760", naming)).toThrow(
      "--columns names the columns of a csv, tsv or jsonl log, and movielens-dat has fixed ones (user, item, rating, timestamp)",
    );
    expect(() => layoutFor("movielens-csv", "userId,movieId,rating,timestamp", naming)).toThrow(
      "movielens-csv has fixed ones (user, item, rating, timestamp): pass --format csv to read this header by --columns",
    );
    expect(layoutFor("csv", "userId,movieId,rating,timestamp", naming)).toMatchObject({
      weight: 2,
      rating: undefined,
    });
  });

  it("gives the fault of a line 1 that cannot be split, and whether it is a header's", () => {
    expect(layoutFor("csv", 'u1,i"1,5')).toEqual({
      column: 2,
      detail: 'a quote inside the unquoted field "i"": quote the whole field and double its quotes',
      before: ["u1"],
      header: false,
    });
    // A known name before the fault, or no digit at all, as a header of unknown names has none.
    expect(layoutFor("csv", 'item_id,user_id,ts,"note')).toMatchObject({ column: 4, header: true });
    expect(layoutFor("tsv", 'Item\t"user')).toMatchObject({ column: 2, header: true });
    expect(layoutFor("csv", 'product_id,"customer_id')).toMatchObject({ column: 2, header: true });
    expect(layoutFor("csv", 'u1,"i1')).toMatchObject({ column: 2, header: false });
  });

  it("refuses movielens-csv for a line 1 that is not ratings.csv's header", () => {
    expect(() => layoutFor("movielens-csv", "1,10,5,874965758")).toThrow(
      'expected the header "userId,movieId,rating,timestamp" of MovieLens ratings.csv, found "1,10,5,874965758"',
    );
    expect(layoutFor("movielens-csv", "userId,movieId,rating,timestamp")).toMatchObject({
      header: true,
      user: 0,
    });
  });
});
