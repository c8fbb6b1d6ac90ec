/**
 * TEST INFRASTRUCTURE. Runs the ModelMesh emulator as a process for the local sandbox: one mesh per namespace
 * ModelMesh serves (the controller's, and each labelled `modelmesh-enabled=true`), each behind its namespace's
 * `modelmesh-serving` EndpointSlice, with its runtime Deployments' pods simulated (`ServedMeshes`):
 *
 *   tsx test/support/emulator/main.ts --kubeconfig <file> --etcd <url> --models-dir <dir> \
 *     [--controller-namespace modelmesh-serving] [--root-prefix modelmesh-serving] [--port 0] [--rest-port 0] \
 *     [--load-time-ms 500 | 300-900] [--startup-delay-ms 3800] [--mlserver-python-bin <dir>] [--address-file <f>]
 *
 * --port and --rest-port are the controller namespace's mesh's gRPC and KServe v2 REST ports on 127.0.0.1 (0: any
 * free port; other namespaces' meshes always take free ones); --mlserver-python-bin runs a real MLServer from that
 * Python environment for each instance of an MLServer runtime; --address-file receives every mesh's ports.
 */
import { parseArgs } from "node:util";
import { KubeConfig } from "@kubernetes/client-node";
import { meshEtcdClient } from "../etcd/client.js";
import { parseLoadTime } from "./load-time.js";
import { ServedMeshes } from "./served-meshes.js";

const { values } = parseArgs({
  options: {
    kubeconfig: { type: "string" },
    etcd: { type: "string" },
    "models-dir": { type: "string" },
    "controller-namespace": { type: "string", default: "modelmesh-serving" },
    "root-prefix": { type: "string", default: "modelmesh-serving" },
    port: { type: "string", default: "0" },
    "rest-port": { type: "string", default: "0" },
    "load-time-ms": { type: "string", default: "0" },
    "startup-delay-ms": { type: "string", default: "0" },
    "mlserver-python-bin": { type: "string" },
    "address-file": { type: "string" },
  },
});

const missing = (["kubeconfig", "etcd", "models-dir"] as const).filter((name) => !values[name]);
if (missing.length > 0) {
  process.stderr.write(`modelmesh emulator: missing --${missing.join(", --")}\n`);
  process.exit(2);
}

const kubeConfig = new KubeConfig();
kubeConfig.loadFromFile(values.kubeconfig ?? "");
const etcd = meshEtcdClient((values.etcd ?? "").split(","));
const meshes = await ServedMeshes.start({
  kubeConfig,
  etcd,
  controllerNamespace: values["controller-namespace"] ?? "",
  rootPrefix: values["root-prefix"] ?? "",
  modelsDir: values["models-dir"] ?? "",
  ports: { grpc: Number(values.port), rest: Number(values["rest-port"]) },
  loadTimeMs: parseLoadTime(values["load-time-ms"] ?? "0"),
  startupDelayMs: Number(values["startup-delay-ms"]),
  ...(values["mlserver-python-bin"] && {
    runtimeServers: { mlserver: { pythonBinDir: values["mlserver-python-bin"] } },
  }),
  ...(values["address-file"] && { addressFile: values["address-file"] }),
});
for (const mesh of await meshes.addresses()) {
  process.stdout.write(
    `modelmesh emulator for ${mesh.namespace} listening on 127.0.0.1:${mesh.grpcPort} (REST 127.0.0.1:${mesh.restPort})\n`,
  );
}

const shutdown = async () => {
  await meshes.stop();
  etcd.close();
  process.exit(0);
};
process.once("SIGTERM", shutdown);
process.once("SIGINT", shutdown);
