import { describe, expect, it } from "vitest";
import { resourcePath } from "./kube-client.js";

const configMaps = { apiVersion: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true };
const isvcs = {
  apiVersion: "serving.kserve.io/v1beta1",
  kind: "InferenceService",
  plural: "inferenceservices",
  namespaced: true,
};
const csrs = {
  apiVersion: "serving.kserve.io/v1alpha1",
  kind: "ClusterServingRuntime",
  plural: "clusterservingruntimes",
  namespaced: false,
};

describe("resourcePath", () => {
  it("builds core, group, namespaced and cluster-scoped paths", () => {
    expect(resourcePath(configMaps)).toBe("/api/v1/configmaps");
    expect(resourcePath(configMaps, { namespace: "ns", name: "a" })).toBe(
      "/api/v1/namespaces/ns/configmaps/a",
    );
    expect(resourcePath(isvcs, { namespace: "ns", name: "m", subresource: "status" })).toBe(
      "/apis/serving.kserve.io/v1beta1/namespaces/ns/inferenceservices/m/status",
    );
    expect(resourcePath(csrs, { namespace: "ignored", name: "triton" })).toBe(
      "/apis/serving.kserve.io/v1alpha1/clusterservingruntimes/triton",
    );
  });

  it("escapes names and leaves a subresource off a collection", () => {
    expect(resourcePath(configMaps, { namespace: "ns", name: "a b" })).toBe(
      "/api/v1/namespaces/ns/configmaps/a%20b",
    );
    expect(resourcePath(isvcs, { namespace: "ns", subresource: "status" })).toBe(
      "/apis/serving.kserve.io/v1beta1/namespaces/ns/inferenceservices",
    );
  });
});
