import { describe, expect, it } from "vitest";
import { idFault } from "./ids.ts";

describe("idFault", () => {
  it("takes any text without control characters", () => {
    for (const id of ["u1", "Müller", "a b", "\ufffd", 'say "hi"', "日本"])
      expect(idFault(id)).toBeUndefined();
  });

  it.each([
    ["bad\nitem", '"bad\\nitem" holds a control character (U+000A)'],
    ["cr\ritem", '"cr\\ritem" holds a control character (U+000D)'],
    ["a\u0000", '"a\\u0000" holds a control character (U+0000)'],
    ["a\tb", '"a\\tb" holds a control character (U+0009)'],
    ["\u007f", '"\u007f" holds a control character (U+007F)'],
    ["x\u0085", '"x\u0085" holds a control character (U+0085)'],
    ["line\u2028sep", '"line\\u2028sep" holds a line or paragraph separator (U+2028)'],
    ["para\u2029", '"para\\u2029" holds a line or paragraph separator (U+2029)'],
  ])("refuses %j", (id, reason) => {
    expect(idFault(id)).toBe(`${reason}: ids are one line of visible text`);
  });
});
