import { describe, expect, it } from "vitest";
import { exposedSamples } from "./exposition.js";

describe("exposedSamples", () => {
  const text = [
    "# HELP apiserver_request_total Counter of apiserver requests.",
    "# TYPE apiserver_request_total counter",
    'apiserver_request_total{code="200",resource="events",verb="POST"} 12',
    'apiserver_request_total{code="200",resource="inferenceservices",subresource="status",verb="PATCH"} 3',
    'apiserver_request_total_other{verb="GET"} 99',
    "process_open_fds 7",
    'odd{message="a \\"quoted\\" word, and }"} 1',
  ].join("\n");

  it("reads each sample of one metric with its labels, and no metric that merely starts alike", () => {
    expect(exposedSamples(text, "apiserver_request_total")).toEqual([
      { labels: { code: "200", resource: "events", verb: "POST" }, value: 12 },
      {
        labels: { code: "200", resource: "inferenceservices", subresource: "status", verb: "PATCH" },
        value: 3,
      },
    ]);
  });

  it("reads a sample without labels, and label values with quotes and braces", () => {
    expect(exposedSamples(text, "process_open_fds")).toEqual([{ labels: {}, value: 7 }]);
    expect(exposedSamples(text, "odd")).toEqual([
      { labels: { message: 'a \\"quoted\\" word, and }' }, value: 1 },
    ]);
    expect(exposedSamples(text, "absent")).toEqual([]);
  });
});
