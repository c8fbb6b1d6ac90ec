import { describe, expect, it } from "vitest";
import { dialTarget } from "./dial-target.js";

describe("dialTarget (config modelMeshEndpoint)", () => {
  it.each([
    ["localhost:8033", "localhost:8033"],
    ["10.0.0.7:8033", "10.0.0.7:8033"],
    ["[::1]:8033", "[::1]:8033"],
    ["modelmesh-serving.team-a.svc:8033", "modelmesh-serving.team-a.svc:8033"],
    [" localhost:8033 ", "localhost:8033"],
    ["passthrough:///127.0.0.1:8033", "127.0.0.1:8033"],
    ["dns:///modelmesh.example:8033", "dns:///modelmesh.example:8033"],
    ["dns:modelmesh.example:8033", "dns:modelmesh.example:8033"],
    ["ipv4:10.0.0.7:8033,10.0.0.8:8033", "ipv4:10.0.0.7:8033,10.0.0.8:8033"],
    ["ipv6:[::1]:8033", "ipv6:[::1]:8033"],
    ["unix:/tmp/mesh.sock", "unix:/tmp/mesh.sock"],
    ["unix:///tmp/mesh.sock", "unix:///tmp/mesh.sock"],
  ])("dials %j as %j", (endpoint, target) => {
    expect(dialTarget(endpoint)).toEqual({ ok: true, value: target });
  });

  it.each([
    "localhost",
    "kube:///modelmesh-serving.team-a:8033",
    "http://localhost:8033",
    "passthrough:///localhost",
    "localhost:port",
    "two words:8033",
  ])("refuses %j and says what it takes", (endpoint) => {
    const result = dialTarget(endpoint);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error).toBe(
        `config modelMeshEndpoint '${endpoint}' is not a gRPC target: expected host:port (dns:/// or passthrough:/// before it allowed), an ipv4: or ipv6: address list, or unix:<path>`,
      );
    }
  });
});
