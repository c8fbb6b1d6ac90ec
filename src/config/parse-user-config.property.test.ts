import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { parseUserConfig, parseUserConfigYaml } from "./parse-user-config.js";

describe("parseUserConfig never throws", () => {
  it("on any text", () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const result = parseUserConfigYaml(text);
        expect(typeof result.ok).toBe("boolean");
      }),
    );
  });

  it("on any YAML value under the real keys", () => {
    const keys = fc.constantFrom(
      "podsPerRuntime",
      "tls",
      "restProxy",
      "metrics",
      "runtimePodLabels",
      "imagePullSecrets",
      "modelMeshResources",
      "payloadProcessors",
      "internalModelMeshEnvVars",
    );
    fc.assert(
      fc.property(fc.dictionary(keys, fc.jsonValue()), (document) => {
        const result = parseUserConfig({ "config.yaml": stringify(document) });
        if (!result.ok) expect(result.error).not.toBe("");
      }),
    );
  });
});
