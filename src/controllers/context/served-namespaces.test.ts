import { describe, expect, it } from "vitest";
import { isNamespaceServed } from "./served-namespaces.js";

const namespace = (name: string, labels?: Record<string, string>, phase?: string) => ({
  metadata: { name, ...(labels ? { labels } : {}) },
  ...(phase ? { status: { phase } } : {}),
});

describe("isNamespaceServed", () => {
  it.each([
    ["labelled true", namespace("a", { "modelmesh-enabled": "true" }), true],
    ["labelled false", namespace("a", { "modelmesh-enabled": "false" }), false],
    ["unlabelled", namespace("a"), false],
    ["the controller's own, unlabelled", namespace("ctl"), true],
    ["the controller's own, labelled false", namespace("ctl", { "modelmesh-enabled": "false" }), false],
    ["labelled but Terminating", namespace("a", { "modelmesh-enabled": "true" }, "Terminating"), false],
    ["missing", undefined, false],
  ])("%s", (_, object, served) => {
    expect(isNamespaceServed(object, "ctl")).toBe(served);
  });
});
