import { describe, expect, it } from "vitest";
import { parseRecord, serializeRecord } from "./records.js";
import {
  modelRecordFromJson,
  modelRecordJson,
  newModelRecord,
  vmodelRecordFromJson,
  vmodelRecordJson,
} from "./registry-records.js";

const info = {
  type: "mt:sklearn",
  path: "sklearn/iris/model.joblib",
  key: '{"model_type":{"name":"sklearn"}}',
};

describe("model-mesh's registry records", () => {
  it("writes a ModelRecord's members in model-mesh's order, autoDel only when true and refs only when ≥ 1", () => {
    const record = newModelRecord(info, true, 1_000);
    record.refs = 1;
    record.instanceIds.set("d9f7c4-k2x9q", 2_000);
    expect(serializeRecord(modelRecordJson(record))).toBe(
      '{"type":"mt:sklearn","encKey":"{\\"model_type\\":{\\"name\\":\\"sklearn\\"}}","mPath":"sklearn/iris/model.joblib","autoDel":true,"instanceIds":{"d9f7c4-k2x9q":2000},"refs":1,"lu":1000}',
    );
    record.autoDel = false;
    record.refs = 0;
    record.instanceIds.clear();
    record.failedIn.set("d9f7c4-k2x9q", 3_000);
    record.fails.set("d9f7c4-k2x9q", "INTERNAL: boom");
    expect(Object.keys(JSON.parse(serializeRecord(modelRecordJson(record))))).toEqual([
      "type",
      "encKey",
      "mPath",
      "failedIn",
      "fails",
      "lu",
    ]);
    expect(JSON.parse(serializeRecord(modelRecordJson(record))).fails).toEqual({
      "d9f7c4-k2x9q": { msg: "INTERNAL: boom" },
    });
  });

  it("reads what it writes and keeps members it does not know", () => {
    const json = parseRecord(
      '{"mPath":"p","type":"t","lu":5,"instanceIds":{"a":1},"future":[1],"refs":2,"fails":{"b":{"msg":"m"}},"failedIn":{"b":3}}',
    );
    if (!json) throw new Error("unparsed");
    const record = modelRecordFromJson(json);
    expect(record).toMatchObject({ type: "t", mPath: "p", encKey: "", autoDel: false, refs: 2, lu: 5 });
    expect([...record.instanceIds]).toEqual([["a", 1]]);
    expect([...record.fails]).toEqual([["b", "m"]]);
    expect(serializeRecord(modelRecordJson(record))).toBe(
      '{"type":"t","mPath":"p","instanceIds":{"a":1},"failedIn":{"b":3},"fails":{"b":{"msg":"m"}},"refs":2,"lu":5,"future":[1]}',
    );
  });

  it("writes a VModelRecord as {o, amid, tmid}, with failed only when true", () => {
    const vmodel = vmodelRecordFromJson({ tmid: "b", o: "isvc", amid: "a" });
    expect(serializeRecord(vmodelRecordJson(vmodel))).toBe('{"o":"isvc","amid":"a","tmid":"b"}');
    vmodel.failed = true;
    expect(serializeRecord(vmodelRecordJson(vmodel))).toBe(
      '{"o":"isvc","amid":"a","tmid":"b","failed":true}',
    );
    expect(vmodelRecordFromJson({ o: "x", amid: "a" }).target).toBe("a");
  });
});
