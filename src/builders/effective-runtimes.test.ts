import { describe, expect, it } from "vitest";
import {
  effectiveRuntime,
  effectiveRuntimes,
  type RuntimeObject,
  runtimeSpecs,
} from "./effective-runtimes.js";

const runtime = (name: string, multiModel: boolean, namespace?: string): RuntimeObject => ({
  metadata: { name, ...(namespace && { namespace }) },
  spec: { multiModel, containers: [] },
});

describe("the runtimes a namespace sees", () => {
  it("a ServingRuntime hides the ClusterServingRuntime of its name, even one that is not multi-model", () => {
    const runtimes = effectiveRuntimes(
      [runtime("shared", true), runtime("cluster-only", true)],
      [runtime("shared", false, "team-a"), runtime("own", true, "team-a")],
    );
    expect([...runtimes].map(([name, { kind, object }]) => [name, kind, object.spec?.multiModel])).toEqual([
      ["shared", "ServingRuntime", false],
      ["cluster-only", "ClusterServingRuntime", true],
      ["own", "ServingRuntime", true],
    ]);
  });

  it("lists no ClusterServingRuntime that is not multi-model", () => {
    expect([...effectiveRuntimes([runtime("single", false)], []).keys()]).toEqual([]);
  });

  it("a name means the ServingRuntime first, then the ClusterServingRuntime", () => {
    const namespaced = runtime("x", true, "team-a");
    const cluster = runtime("x", false);
    expect(effectiveRuntime(namespaced, cluster)).toEqual({ kind: "ServingRuntime", object: namespaced });
    expect(effectiveRuntime(undefined, cluster)).toEqual({ kind: "ClusterServingRuntime", object: cluster });
    expect(effectiveRuntime(undefined, undefined)).toBeUndefined();
  });

  it("gives tc-config every spec by name, an empty one for a runtime without spec", () => {
    const bare: RuntimeObject = { metadata: { name: "bare" } };
    expect(runtimeSpecs(effectiveRuntimes([], [bare]))).toEqual(new Map([["bare", { containers: [] }]]));
  });
});
