import { describe, expect, it } from "vitest";
import { pvcClaimsFromStorageSecret } from "./storage-pvcs.js";

const b64 = (value: unknown) =>
  Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64");

describe("pvcClaimsFromStorageSecret", () => {
  it("collects the names of pvc entries and ignores the others", () => {
    const result = pvcClaimsFromStorageSecret({
      s3: b64({ type: "s3", bucket: "b" }),
      claimA: b64({ type: "pvc", name: "claim-a" }),
      noName: b64({ type: "pvc" }),
      claimB: b64({ type: "pvc", name: "claim-b" }),
    });
    expect(result).toEqual({ ok: true, value: ["claim-a", "claim-b"] });
  });

  it("treats a missing Secret as no claims", () => {
    expect(pvcClaimsFromStorageSecret(undefined)).toEqual({ ok: true, value: [] });
  });

  it("refuses entries that are not JSON objects of strings, naming the key", () => {
    expect(pvcClaimsFromStorageSecret({ bad: b64("not json") })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^Could not parse storage configuration json: key bad/),
    });
    expect(pvcClaimsFromStorageSecret({ nested: b64({ type: "pvc", name: { x: 1 } }) })).toMatchObject({
      ok: false,
      error: expect.stringContaining("key nested must be a JSON object of strings"),
    });
  });
});
