import { describe, expect, it } from "vitest";
import { instanceIdOf, podName, podTemplateHash } from "./pod-names.js";

const template = { metadata: { labels: { app: "x" } }, spec: { containers: [{ name: "mm", image: "m:1" }] } };

describe("simulated runtime pod names", () => {
  it("hash a pod template like the Deployment controller: 10 characters of its alphabet", () => {
    const hash = podTemplateHash(template);
    expect(hash).toMatch(/^[4-9bcdf]{10}$/);
    expect(podTemplateHash(structuredClone(template))).toBe(hash);
    // Member order and absent members do not matter; content does.
    expect(podTemplateHash({ spec: template.spec, metadata: template.metadata, status: undefined })).toBe(
      hash,
    );
    expect(podTemplateHash({ ...template, spec: { containers: [{ name: "mm", image: "m:2" }] } })).not.toBe(
      hash,
    );
  });

  it("name each replica stably, and take the last 12 characters as model-mesh's instance id", () => {
    const hash = podTemplateHash(template);
    const first = podName("modelmesh-serving-mlserver-1.x", hash, 0);
    expect(first).toMatch(
      new RegExp(`^modelmesh-serving-mlserver-1\\.x-${hash}-[bcdfghjklmnpqrstvwxz2456789]{5}$`),
    );
    expect(podName("modelmesh-serving-mlserver-1.x", hash, 0)).toBe(first);
    expect(podName("modelmesh-serving-mlserver-1.x", hash, 1)).not.toBe(first);
    expect(instanceIdOf(first)).toBe(`${hash.slice(-6)}-${first.slice(-5)}`);
    expect(instanceIdOf("modelmesh-serving-mlserver-1.x-58b6d9f7c4-k2x9q")).toBe("d9f7c4-k2x9q");
  });
});
