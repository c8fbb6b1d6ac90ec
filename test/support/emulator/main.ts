/**
 * TEST INFRASTRUCTURE. Runs the ModelMesh emulator as a process for the local sandbox:
 *
 *   tsx test/support/emulator/main.ts --kubeconfig <file> --etcd <url> --models-dir <dir> --port <port> \
 *     --namespace <ns> [--service-prefix <rp>/mm/modelmesh-serving] [--load-time-ms 500 | 300-900]
 *     [--startup-delay-ms 3800] [--publish-endpoints] [--simulate-pods] [--mlserver-python-bin <dir>]
 *     [--rest-port <port>]
 *
 * --publish-endpoints makes the namespace's modelmesh-serving Service resolve to the emulator (through the test
 * host); --simulate-pods stands in for the kubelet by reporting runtime Deployments' replicas as ready;
 * --mlserver-python-bin runs a real MLServer from that Python environment for each instance of an MLServer
 * runtime; --rest-port serves KServe v2 REST there (0: any free port).
 *
 * Without --service-prefix it uses `modelmesh-serving/mm/modelmesh-serving` (root prefix `modelmesh-serving`).
 */
import { parseArgs } from "node:util";
import { KubeConfig } from "@kubernetes/client-node";
import { meshEtcdClient } from "../etcd/client.js";
import { simulateRuntimePods } from "../sandbox/pod-simulator.js";
import { exposeEmulator } from "./endpoint-slices.js";
import { parseLoadTime } from "./load-time.js";
import { ModelMeshEmulator } from "./model-mesh-emulator.js";

const { values } = parseArgs({
  options: {
    kubeconfig: { type: "string" },
    etcd: { type: "string" },
    "models-dir": { type: "string" },
    port: { type: "string", default: "0" },
    namespace: { type: "string", default: "modelmesh-serving" },
    "service-prefix": { type: "string", default: "modelmesh-serving/mm/modelmesh-serving" },
    "load-time-ms": { type: "string", default: "0" },
    "startup-delay-ms": { type: "string", default: "0" },
    "publish-endpoints": { type: "boolean", default: false },
    "simulate-pods": { type: "boolean", default: false },
    "mlserver-python-bin": { type: "string" },
    "rest-port": { type: "string" },
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
const emulator = await ModelMeshEmulator.start({
  kubeConfig,
  namespace: values.namespace ?? "",
  etcd,
  servicePrefix: values["service-prefix"] ?? "",
  modelsDir: values["models-dir"] ?? "",
  loadTimeMs: parseLoadTime(values["load-time-ms"] ?? "0"),
  startupDelayMs: Number(values["startup-delay-ms"]),
  port: Number(values.port),
  ...(values["mlserver-python-bin"] && {
    runtimeServers: { mlserver: { pythonBinDir: values["mlserver-python-bin"] } },
  }),
  ...(values["rest-port"] !== undefined && { restPort: Number(values["rest-port"]) }),
});
const relay = values["publish-endpoints"]
  ? await exposeEmulator(kubeConfig, emulator, { namespace: values.namespace ?? "" })
  : undefined;
process.stdout.write(`modelmesh emulator listening on 127.0.0.1:${emulator.port}\n`);
if (emulator.restPort !== undefined)
  process.stdout.write(`modelmesh emulator REST on 127.0.0.1:${emulator.restPort}\n`);

const pods = values["simulate-pods"] ? simulateRuntimePods(kubeConfig, values.namespace ?? "") : undefined;

const shutdown = async () => {
  pods?.stop();
  await relay?.stop();
  await emulator.stop();
  etcd.close();
  process.exit(0);
};
process.once("SIGTERM", shutdown);
process.once("SIGINT", shutdown);
