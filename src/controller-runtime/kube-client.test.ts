import { describe, expect, it } from "vitest";
import { resourcePath, sameTlsMaterial } from "./kube-client.js";

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

describe("sameTlsMaterial (whether a request can keep the connection pool)", () => {
  const ca = Buffer.from("ca");
  const cert = Buffer.from("cert-1");
  it("is true for the same values, whether the same Buffers or equal copies", () => {
    expect(sameTlsMaterial([ca, cert, undefined], [ca, cert, undefined])).toBe(true);
    expect(sameTlsMaterial([ca, cert, "host"], [Buffer.from("ca"), Buffer.from("cert-1"), "host"])).toBe(
      true,
    );
  });

  it("is false when a certificate rotated, appeared or went", () => {
    expect(sameTlsMaterial([ca, cert], [ca, Buffer.from("cert-2")])).toBe(false);
    expect(sameTlsMaterial([ca, undefined], [ca, cert])).toBe(false);
    expect(sameTlsMaterial([ca, cert], [ca, undefined])).toBe(false);
  });
});
