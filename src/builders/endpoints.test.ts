import { describe, expect, it } from "vitest";
import { modelMeshSocketDirectory, parseEndpoint, parseRuntimeEndpoints } from "./endpoints.js";

describe("parseEndpoint", () => {
  it.each([
    ["port:8085", { kind: "port", port: "8085" }],
    ["unix:/tmp/mmesh/grpc.sock", { kind: "unix", path: "/tmp/mmesh/grpc.sock", directory: "/tmp/mmesh" }],
    ["unix:///tmp/mmesh/grpc.sock", { kind: "unix", path: "/tmp/mmesh/grpc.sock", directory: "/tmp/mmesh" }],
    ["unix:grpc.sock", { kind: "unix", path: "grpc.sock", directory: "." }],
  ])("%s", (text, endpoint) => {
    expect(parseEndpoint(text)).toEqual({ ok: true, value: endpoint });
  });

  it.each(["8085", "port:", "port:80a", "tcp://x:1", ""])("refuses %j", (text) => {
    expect(parseEndpoint(text)).toEqual({
      ok: false,
      error: `Invalid endpoint "${text}": expected "port:<number>" or "unix:<path>"`,
    });
  });
});

describe("parseRuntimeEndpoints", () => {
  it("finds the one socket directory", () => {
    const result = parseRuntimeEndpoints({
      grpcEndpoint: "unix:/s/m.sock",
      grpcDataEndpoint: "unix:///s/d.sock",
    });
    expect(result.ok && result.value.socketDirectory).toBe("/s");
  });

  it("refuses sockets in two directories", () => {
    expect(
      parseRuntimeEndpoints({ grpcEndpoint: "unix:/a/m.sock", grpcDataEndpoint: "unix:/b/d.sock" }),
    ).toEqual({
      ok: false,
      error: "Only one unix domain socket path is allowed. Found [unix:/a/m.sock unix:/b/d.sock]",
    });
  });

  it("has no socket directory for TCP endpoints or none", () => {
    expect(parseRuntimeEndpoints({})).toEqual({ ok: true, value: {} });
    const tcp = parseRuntimeEndpoints({ grpcEndpoint: "port:1", grpcDataEndpoint: "port:2" });
    expect(tcp.ok && tcp.value.socketDirectory).toBeUndefined();
  });
});

describe("modelMeshSocketDirectory", () => {
  const endpoints = (grpcEndpoint?: string, grpcDataEndpoint?: string) => {
    const result = parseRuntimeEndpoints({ grpcEndpoint, grpcDataEndpoint });
    if (!result.ok) throw new Error(result.error);
    return result.value;
  };
  it.each([
    [undefined, "unix:/d/x.sock", "/d"],
    ["unix:/m/x.sock", undefined, "/m"],
    ["unix:/m/x.sock", "port:8001", undefined],
    ["port:8085", "port:8001", undefined],
  ])("management %s, data %s ⇒ %s", (management, data, directory) => {
    expect(modelMeshSocketDirectory(endpoints(management, data))).toBe(directory);
  });
});
