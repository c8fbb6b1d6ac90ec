import { describe, expect, it } from "vitest";
import { DemandIndex } from "./demand-index.js";

const SKLEARN = { typeLabel: "mt:sklearn", pvcClaim: undefined };
const ON_PVC = { typeLabel: "mt:sklearn", pvcClaim: "models" };
const UNREADABLE = { typeLabel: undefined, pvcClaim: undefined };

function recorded() {
  const index = new DemandIndex();
  const changes: string[] = [];
  index.onChange(({ namespace, demand, inInitialList }) => {
    changes.push(
      `${namespace} ${demand.typeLabel ?? "*"} ${demand.pvcClaim ?? "-"}${inInitialList ? " (initial)" : ""}`,
    );
  });
  return { index, changes };
}

describe("DemandIndex", () => {
  it("reports a demand when its first model comes and when its last one goes, not in between", () => {
    const { index, changes } = recorded();
    index.set("a", "ns", SKLEARN, true);
    index.set("b", "ns", { ...SKLEARN });
    index.set("c", "ns", SKLEARN);
    expect(changes).toEqual(["ns mt:sklearn - (initial)"]);
    expect(index.of("ns")).toEqual([SKLEARN]);
    index.set("a", "ns", undefined);
    index.set("b", "ns", undefined);
    expect(changes).toHaveLength(1);
    index.set("c", "ns", undefined);
    expect(changes).toEqual(["ns mt:sklearn - (initial)", "ns mt:sklearn -"]);
    expect(index.of("ns")).toEqual([]);
  });

  it("moves a model whose demand changed, and keeps namespaces apart", () => {
    const { index, changes } = recorded();
    index.set("a", "one", SKLEARN);
    index.set("b", "one", SKLEARN);
    index.set("a", "one", ON_PVC);
    index.set("x", "two", UNREADABLE);
    expect(changes).toEqual(["one mt:sklearn -", "one mt:sklearn models", "two * -"]);
    expect(index.of("one")).toEqual([SKLEARN, ON_PVC]);
    expect(index.of("two")).toEqual([UNREADABLE]);
    index.set("b", "one", undefined);
    expect(index.of("one")).toEqual([ON_PVC]);
  });

  it("takes back only what was counted: repeated removals and unknown models change nothing", () => {
    const { index, changes } = recorded();
    index.set("a", "ns", SKLEARN);
    index.set("a", "ns", SKLEARN);
    index.set("gone", "ns", undefined);
    index.set("a", "ns", undefined);
    index.set("a", "ns", undefined);
    expect(changes).toEqual(["ns mt:sklearn -", "ns mt:sklearn -"]);
    expect(index.of("ns")).toEqual([]);
  });
});
