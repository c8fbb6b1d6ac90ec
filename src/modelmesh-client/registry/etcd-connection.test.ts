import { describe, expect, it } from "vitest";
import { createCertificateAuthority } from "../../../test/support/control-plane/certificates.js";
import { ETCD_MAX_RECEIVE_BYTES, etcdConnectionFromSecret, meshServicePrefix } from "./etcd-connection.js";

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
const secret = (config: unknown, extra: Record<string, string> = {}) => ({
  etcd_connection: b64(typeof config === "string" ? config : JSON.stringify(config)),
  ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, b64(v)])),
});

describe("etcdConnectionFromSecret", () => {
  it("reads endpoints, credentials and the root prefix of a plain connection", () => {
    const result = etcdConnectionFromSecret(
      secret({
        endpoints: "http://etcd:2379, http://etcd2:2379",
        root_prefix: "modelmesh-serving",
        userid: "u",
        password: "p",
      }),
      "model-serving-etcd",
    );
    expect(result).toEqual({
      ok: true,
      value: {
        rootPrefix: "modelmesh-serving",
        endpoints: ["http://etcd:2379", "http://etcd2:2379"],
        options: {
          hosts: ["http://etcd:2379", "http://etcd2:2379"],
          dialTimeout: 10_000,
          auth: { username: "u", password: "p" },
          grpcOptions: { "grpc.max_receive_message_length": ETCD_MAX_RECEIVE_BYTES },
        },
      },
    });
  });

  it("reports upstream's messages for a missing key, bad JSON and no endpoints", () => {
    expect(etcdConnectionFromSecret(undefined, "s")).toEqual({
      ok: false,
      error: "Key 'etcd_connection' was not found in etcd secret 's'",
    });
    expect(etcdConnectionFromSecret({ other: "" }, "s")).toMatchObject({ ok: false });
    const bad = etcdConnectionFromSecret(secret("{not json"), "s");
    expect(bad.ok || bad.error).toMatch(/^failed to parse etcd config json: /);
    expect(etcdConnectionFromSecret(secret({ root_prefix: "x" }), "s")).toMatchObject({ ok: false });
  });

  it("uses TLS with a CA and client pair taken from referenced keys", async () => {
    const ca = await createCertificateAuthority("etcd-ca");
    const client = await ca.issue({ commonName: "controller", usage: "client" });
    const result = etcdConnectionFromSecret(
      secret(
        {
          endpoints: "http://etcd:2379",
          certificate_file: "ca.pem",
          client_key_file: "k.pem",
          client_certificate_file: "c.pem",
          override_authority: "etcd.svc",
        },
        { "ca.pem": ca.certPem, "k.pem": client.keyPem, "c.pem": client.certPem },
      ),
      "s",
    );
    if (!result.ok) throw new Error(result.error);
    expect(result.value.options.hosts).toEqual(["https://etcd:2379"]);
    expect(result.value.options.credentials?.rootCertificate.toString()).toBe(ca.certPem);
    expect(result.value.options.credentials?.certChain?.toString()).toBe(client.certPem);
    expect(result.value.options.grpcOptions).toEqual({
      "grpc.max_receive_message_length": ETCD_MAX_RECEIVE_BYTES,
      "grpc.default_authority": "etcd.svc",
      "grpc.ssl_target_name_override": "etcd.svc",
    });
  });

  it("uses system roots for an https endpoint without a CA", () => {
    const result = etcdConnectionFromSecret(secret({ endpoints: "https://etcd:2379" }), "s");
    if (!result.ok) throw new Error(result.error);
    expect(result.value.options.credentials?.rootCertificate.length).toBeGreaterThan(1000);
    expect(result.value.options.credentials?.privateKey).toBeUndefined();
  });

  it("refuses half a client pair, a missing referenced key and a mismatched pair", async () => {
    const ca = await createCertificateAuthority("etcd-ca");
    const [a, b] = [
      await ca.issue({ commonName: "a", usage: "client" }),
      await ca.issue({ commonName: "b", usage: "client" }),
    ];
    expect(etcdConnectionFromSecret(secret({ endpoints: "e", client_key: a.keyPem }), "s")).toEqual({
      ok: false,
      error: "need to set both client_key/client_key_file and client_certificate/client_certificate_file",
    });
    expect(etcdConnectionFromSecret(secret({ endpoints: "e", certificate_file: "nope" }), "s")).toEqual({
      ok: false,
      error: "referenced TLS certificate secret key not found: nope",
    });
    expect(
      etcdConnectionFromSecret(
        secret({ endpoints: "e", client_key_file: "k", client_certificate: a.certPem }),
        "s",
      ),
    ).toEqual({
      ok: false,
      error: "referenced TLS key secret key not found: k",
    });
    expect(
      etcdConnectionFromSecret(
        secret({ endpoints: "e", client_key: b.keyPem, client_certificate: a.certPem }),
        "s",
      ),
    ).toMatchObject({ ok: false, error: expect.stringMatching(/^could not load client key pair: /) });
    expect(
      etcdConnectionFromSecret(
        secret({ endpoints: "e", client_key: "junk", client_certificate: "junk" }),
        "s",
      ),
    ).toMatchObject({ ok: false, error: expect.stringMatching(/^could not load client key pair: /) });
  });
});

describe("meshServicePrefix", () => {
  it("uses the root prefix in the controller namespace and mm_ns elsewhere", () => {
    expect(meshServicePrefix("modelmesh-serving", "ctl", "ctl", "modelmesh-serving")).toBe(
      "modelmesh-serving/mm/modelmesh-serving",
    );
    expect(meshServicePrefix("modelmesh-serving", "ctl", "team", "modelmesh-serving")).toBe(
      "modelmesh-serving/mm_ns/team/mm/modelmesh-serving",
    );
  });
});
