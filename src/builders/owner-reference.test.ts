import { describe, expect, it } from "vitest";
import { controllerReference } from "./owner-reference.js";

describe("controllerReference", () => {
  it("marks the owner as the controller and blocks its deletion, keys in upstream's order", () => {
    const reference = controllerReference({
      apiVersion: "v1",
      kind: "Namespace",
      name: "team-a",
      uid: "u-1",
    });
    expect(Object.entries(reference)).toEqual([
      ["apiVersion", "v1"],
      ["kind", "Namespace"],
      ["name", "team-a"],
      ["uid", "u-1"],
      ["controller", true],
      ["blockOwnerDeletion", true],
    ]);
  });
});
