/**
 * TEST INFRASTRUCTURE — the etcd client of the ModelMesh emulator and of the suites that share its etcd.
 * Model-mesh's own etcd client retries until etcd answers again; etcd3's default circuit breaker instead refuses
 * every call for a while after etcd came back, which made the emulator fail loads a real model-mesh would not.
 */
import { noop } from "cockatiel";
import { Etcd3 } from "etcd3";
import { ETCD_MAX_RECEIVE_BYTES } from "../../../src/modelmesh-client/registry/etcd-connection.js";

export function meshEtcdClient(hosts: string | string[]): Etcd3 {
  return new Etcd3({
    hosts,
    // A namespace's whole registry is read in one range (model-mesh's own limit is far above gRPC's 4 MiB).
    grpcOptions: { "grpc.max_receive_message_length": ETCD_MAX_RECEIVE_BYTES },
    faultHandling: { host: () => noop },
  });
}
