import { describe, expect, it } from "vitest";
import { buildNamespaceEtcdSecret, marshalEtcdConfig, parseEtcdConfig } from "./etcd-secret.js";

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");
const unb64 = (text: string | undefined) => Buffer.from(text ?? "", "base64").toString("utf8");

describe("buildNamespaceEtcdSecret", () => {
  it("copies the connection with the namespace's root prefix, fields in Go's order, unknown fields dropped", () => {
    const source = {
      etcd_connection: b64(
        JSON.stringify({
          override_authority: "etcd.local",
          root_prefix: "modelmesh-serving",
          endpoints: "https://etcd:2379",
          password: "p&ss",
          userid: "root",
          extra: "dropped",
        }),
      ),
      unrelated: b64("not copied"),
    };
    const result = buildNamespaceEtcdSecret(source, "model-serving-etcd", "team-a");
    if (!result.ok) throw new Error(result.error);
    expect(result.value.metadata).toEqual({
      name: "model-serving-etcd",
      namespace: "team-a",
      labels: { "app.kubernetes.io/managed-by": "modelmesh-controller" },
    });
    expect(Object.keys(result.value.data ?? {})).toEqual(["etcd_connection"]);
    expect(unb64(result.value.data?.etcd_connection)).toBe(
      '{"endpoints":"https://etcd:2379","userid":"root","password":"p\\u0026ss",' +
        '"root_prefix":"modelmesh-serving/mm_ns/team-a","override_authority":"etcd.local"}',
    );
  });

  it("gives a connection without root prefix the prefix /mm_ns/<ns>", () => {
    const result = buildNamespaceEtcdSecret(
      { etcd_connection: b64('{"endpoints":"http://etcd:2379"}') },
      "s",
      "ns1",
    );
    expect(result.ok && unb64(result.value.data?.etcd_connection)).toBe(
      '{"endpoints":"http://etcd:2379","root_prefix":"/mm_ns/ns1"}',
    );
  });

  it("also copies the keys named by *_file fields", () => {
    const source = {
      etcd_connection: b64(
        '{"endpoints":"https://etcd:2379","certificate_file":"etcd-ca.pem","client_key_file":"absent"}',
      ),
      "etcd-ca.pem": b64("-----BEGIN CERTIFICATE-----"),
    };
    const result = buildNamespaceEtcdSecret(source, "s", "ns1");
    expect(result.ok && Object.keys(result.value.data ?? {})).toEqual(["etcd_connection", "etcd-ca.pem"]);
  });

  it.each([
    [{}, "Key 'etcd_connection' was not found in etcd secret 'model-serving-etcd'"],
    [undefined, "Key 'etcd_connection' was not found in etcd secret 'model-serving-etcd'"],
    [{ etcd_connection: b64("{not json") }, /^failed to parse etcd config json: /],
    [{ etcd_connection: b64("[1]") }, "failed to parse etcd config json: expected a JSON object"],
    [
      { etcd_connection: b64('{"endpoints": 5}') },
      "failed to parse etcd config json: field endpoints must be a string, got 5",
    ],
  ])("refuses %j", (source, message) => {
    const result = buildNamespaceEtcdSecret(source, "model-serving-etcd", "ns1");
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(message);
  });
});

describe("parseEtcdConfig", () => {
  it("matches field names case-insensitively like Go and treats null as unset", () => {
    expect(parseEtcdConfig('{"Endpoints":"a","ROOT_PREFIX":"r","userid":null}')).toEqual({
      ok: true,
      value: { endpoints: "a", root_prefix: "r" },
    });
  });

  it("always writes endpoints, even empty", () => {
    expect(marshalEtcdConfig({})).toBe('{"endpoints":""}');
  });
});
