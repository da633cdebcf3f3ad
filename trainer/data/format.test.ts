import { describe, expect, it } from "vitest";
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
      'header "user,item,ts,timestamp" has 2 timestamp columns (ts, timestamp): keep one',
    );
    expect(() => layoutFor("csv", "User_ID,item_id,timestamp,user")).toThrow(
      "has 2 user columns (User_ID, user)",
    );
    expect(() => layoutFor("csv", "user,item,ts,weight,w")).toThrow("has 2 weight columns (weight, w)");
  });

  it("refuses a line 1 without a digit, which no row is, as a header of unknown names", () => {
    expect(() => layoutFor("csv", "product_id,customer_id,created_at")).toThrow(
      'header "product_id,customer_id,created_at" names no user, item or timestamp column (a row would hold a digit, in its timestamp): rename its columns to names the reader knows (user: user, user_id, userid, viewer, viewer_id, viewerid; item: item, item_id, itemid, movieid, movie_id, pin, pin_id; timestamp: timestamp, ts, time, event_time; weight: weight, w; rating: rating)',
    );
    // A timestamp that is no timestamp (12/31/2024) still has a digit: a bad row, not a header.
    expect(layoutFor("csv", "alice,matrix,12/31/2024")).toMatchObject({ header: false, user: 0 });
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
