import { describe, expect, it } from "vitest";
import { runtimeAffinity } from "./affinity.js";

const arch = {
  matchExpressions: [{ key: "kubernetes.io/arch", operator: "In", values: ["amd64", "arm64", "s390x"] }],
};
const zone = { matchExpressions: [{ key: "zone", operator: "In", values: ["a"] }] };
const podAffinity = {
  requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "kubernetes.io/hostname" }],
};

describe("runtimeAffinity", () => {
  it("without affinity: the architecture term alone", () => {
    expect(runtimeAffinity(undefined)).toEqual({
      nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [arch] } },
    });
  });

  it("affinity without nodeAffinity: adds it, keeps the rest", () => {
    expect(runtimeAffinity({ podAffinity })).toEqual({
      podAffinity,
      nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [arch] } },
    });
  });

  it("nodeAffinity with only preferences: sets the required terms", () => {
    const preferred = [{ weight: 1, preference: zone }];
    expect(
      runtimeAffinity({ nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: preferred } }),
    ).toEqual({
      nodeAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: preferred,
        requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [arch] },
      },
    });
  });

  it("required terms: appends the architecture term as one more", () => {
    const affinity = {
      nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [zone] } },
    };
    expect(runtimeAffinity(affinity)).toEqual({
      nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [zone, arch] } },
    });
    expect(affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([
      zone,
    ]);
  });
});
