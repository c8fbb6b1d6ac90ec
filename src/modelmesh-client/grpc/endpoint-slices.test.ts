import type { V1EndpointSlice } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { readyAddresses, sameAddresses } from "./endpoint-slices.js";

function slice(
  ports: { name?: string; port?: number }[],
  endpoints: V1EndpointSlice["endpoints"] | null,
): V1EndpointSlice {
  // The API server sends `endpoints: null` for a slice without endpoints, although the type says otherwise.
  return { addressType: "IPv4", ports, endpoints } as V1EndpointSlice;
}

describe("readyAddresses", () => {
  const slices = [
    slice(
      [
        { name: "grpc", port: 8033 },
        { name: "http", port: 8008 },
      ],
      [
        { addresses: ["10.0.0.2"], conditions: { ready: true } },
        { addresses: ["10.0.0.1"] },
        { addresses: ["10.0.0.3"], conditions: { ready: false, terminating: true } },
      ],
    ),
    slice(
      [{ name: "grpc", port: 8033 }],
      [{ addresses: ["10.0.0.1", "10.0.0.4"], conditions: { ready: true } }],
    ),
  ];

  it("takes ready endpoints (missing condition = ready) of every slice, sorted and de-duplicated", () => {
    expect(readyAddresses(slices, "grpc")).toEqual([
      { host: "10.0.0.1", port: 8033 },
      { host: "10.0.0.2", port: 8033 },
      { host: "10.0.0.4", port: 8033 },
    ]);
  });

  it("matches the port by name or by number", () => {
    expect(readyAddresses(slices, 8033)).toEqual(readyAddresses(slices, "grpc"));
    expect(readyAddresses(slices, "8008")).toEqual([
      { host: "10.0.0.1", port: 8008 },
      { host: "10.0.0.2", port: 8008 },
    ]);
    expect(readyAddresses(slices, "metrics")).toEqual([]);
  });

  it("is empty for no slices, no endpoints or slices without that port", () => {
    expect(readyAddresses([], 8033)).toEqual([]);
    expect(readyAddresses([slice([{ name: "grpc", port: 8033 }], null)], 8033)).toEqual([]);
    expect(readyAddresses([slice([{ name: "grpc" }], [{ addresses: ["10.0.0.1"] }])], "grpc")).toEqual([]);
  });

  it("compares address lists by value", () => {
    expect(sameAddresses(readyAddresses(slices, 8033), readyAddresses([...slices].reverse(), "grpc"))).toBe(
      true,
    );
    expect(sameAddresses(readyAddresses(slices, 8033), readyAddresses(slices, 8008))).toBe(false);
  });
});
