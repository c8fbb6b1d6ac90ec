import type { V1Service } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { etcdSecretKeys } from "./index.js";
import { otherServices, serviceAction } from "./reconciler.js";

const service = (name: string, clusterIP?: string): V1Service => ({
  metadata: { name },
  spec: clusterIP === undefined ? {} : { clusterIP },
});

describe("the namespace's Service", () => {
  it("is created when there is none", () => {
    expect(serviceAction(undefined, true)).toBe("create");
    expect(serviceAction(undefined, false)).toBe("create");
  });

  it("is recreated when it must switch between headless and not (clusterIP is immutable)", () => {
    expect(serviceAction(service("modelmesh-serving", "10.0.0.9"), true)).toBe("recreate");
    expect(serviceAction(service("modelmesh-serving", "None"), false)).toBe("recreate");
    expect(serviceAction(service("modelmesh-serving"), true)).toBe("recreate");
  });

  it("is otherwise applied where it would change", () => {
    expect(serviceAction(service("modelmesh-serving", "None"), true)).toBe("apply");
    expect(serviceAction(service("modelmesh-serving", "10.0.0.9"), false)).toBe("apply");
  });

  it("is the only modelmesh-service Service: those of another name go", () => {
    const services = [service("modelmesh-serving"), service("old-name"), service("older")];
    expect(otherServices(services, "modelmesh-serving")).toEqual(["old-name", "older"]);
    expect(otherServices([service("modelmesh-serving")], "modelmesh-serving")).toEqual([]);
  });
});

describe("the namespaces an etcd Secret event concerns", () => {
  const secret = (name: string, namespace: string) => ({ metadata: { name, namespace } });
  const served = () => ["model-serving", "team-a", "team-b"];
  const keysOf = (name: string, namespace: string) =>
    etcdSecretKeys(secret(name, namespace), "model-serving-etcd", "model-serving", served);

  it("the controller namespace's Secret, the source of every copy: every served namespace", () => {
    expect(keysOf("model-serving-etcd", "model-serving")).toEqual(served());
  });

  it("a copy: its own namespace; another Secret: none", () => {
    expect(keysOf("model-serving-etcd", "team-a")).toEqual(["team-a"]);
    expect(keysOf("other", "model-serving")).toEqual([]);
  });
});
