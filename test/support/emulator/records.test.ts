import { describe, expect, it } from "vitest";
import { parseRecord, serializeRecord } from "./records.js";

describe("emulator etcd values", () => {
  it("omits defaults, keeps member order, unknown members and big numbers", () => {
    const record = parseRecord(
      '{"type":"mt:x","refs":1,"lu":9223372036854775807,"future":{"a":[1]},"autoDel":true}',
    );
    if (!record) throw new Error("unparsed");
    record.refs = 0;
    record.autoDel = false;
    record.instanceIds = {};
    expect(serializeRecord(record)).toBe('{"type":"mt:x","lu":9223372036854775807,"future":{"a":[1]}}');
  });

  it("treats malformed or non-object text as no record", () => {
    expect(parseRecord("{")).toBeUndefined();
    expect(parseRecord("[]")).toBeUndefined();
  });
});
