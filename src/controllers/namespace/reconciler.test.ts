import type { V1Service } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
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
