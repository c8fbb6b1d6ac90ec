import { describe, expect, it } from "vitest";
import { defaultServingConfig, effectiveEtcdSecretName, imageReference } from "./serving-config.js";

describe("imageReference", () => {
  it.each([
    [{ name: "kserve/modelmesh", tag: "latest", digest: "" }, "kserve/modelmesh:latest"],
    [{ name: "kserve/modelmesh", tag: "v0.11.0", digest: "sha256:abc" }, "kserve/modelmesh@sha256:abc"],
    [{ name: "registry:5000/mm", tag: "", digest: "" }, "registry:5000/mm"],
  ])("%j ⇒ %s", (image, reference) => {
    expect(imageReference({ ...image, command: [] })).toBe(reference);
  });
});

describe("effectiveEtcdSecretName", () => {
  const withDeprecatedKey = { ...defaultServingConfig(), etcdSecretName: "old-etcd" };
  it.each([
    [undefined, defaultServingConfig(), "model-serving-etcd"],
    ["custom-etcd", defaultServingConfig(), "custom-etcd"],
    [undefined, withDeprecatedKey, "old-etcd"],
    ["model-serving-etcd", withDeprecatedKey, "old-etcd"],
    ["", withDeprecatedKey, "old-etcd"],
    ["custom-etcd", withDeprecatedKey, "custom-etcd"],
  ])("env %j with etcdSecretName %j", (env, config, expected) => {
    expect(effectiveEtcdSecretName(config, env)).toBe(expected);
  });
});
