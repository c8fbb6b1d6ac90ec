// npm run sandbox — the main job on the local sandbox: start it (if needed), apply the example
// InferenceServices, show them reaching Loaded, then real predictions of the models a real MLServer serves and
// the commands that reproduce them. The sandbox keeps running afterwards (npm run local:down).
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { INFERENCE_SERVICES } from "../src/apis/resource-types.js";
import { convertInferenceService } from "../src/apis/serving/inference-service-conversion.js";
import { modelLocation } from "../src/modelmesh-client/model-id.js";
import { loadKubeConfig, testClient } from "../test/support/kube/clients.js";
import { EXAMPLES_DIR, exampleInferenceServices } from "../test/support/sandbox/examples.js";
import {
  prediction,
  predictionLines,
  predictionRequest,
  type ServedExample,
} from "../test/support/sandbox/predictions.js";
import { isDone, renderProgress, rowOf } from "../test/support/sandbox/progress.js";
import {
  CONTROLLER_NAMESPACE,
  KUBECONFIG,
  kubectl,
  LOCAL_DIR,
  meshAddresses,
  sandboxExampleModels,
  up,
} from "../test/support/sandbox/sandbox.js";

const TIMEOUT_MS = 180_000;
const REQUESTS_DIR = path.join(LOCAL_DIR, "requests");
const say = (line: string) => console.log(line);

/** The examples whose model the sandbox's real MLServer serves (it trained them); the others are emulated. */
async function servedExamples(): Promise<ServedExample[]> {
  const trained = await sandboxExampleModels();
  return exampleInferenceServices().flatMap((isvc) => {
    const converted = convertInferenceService(isvc);
    const model = converted.ok
      ? trained.models.find((m) => m.path === modelLocation(converted.value).path)
      : undefined;
    return model === undefined ? [] : [{ name: isvc.metadata?.name ?? "", model }];
  });
}

/** One real prediction per served example, through the controller namespace's mesh, and how to send it yourself. */
async function showPredictions(served: readonly ServedExample[]): Promise<boolean> {
  const mesh = meshAddresses().find((m) => m.namespace === CONTROLLER_NAMESPACE);
  if (mesh === undefined || mesh.restPort === undefined) {
    say("The emulator published no REST port; no predictions shown.");
    return false;
  }
  mkdirSync(REQUESTS_DIR, { recursive: true });
  const results = [];
  for (const example of served) {
    const body = predictionRequest(example.model);
    const bodyFile = path.relative(process.cwd(), path.join(REQUESTS_DIR, `${example.name}.json`));
    writeFileSync(bodyFile, `${body}\n`);
    const answer = await fetch(`http://127.0.0.1:${mesh.restPort}/v2/models/${example.name}/infer`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    const text = await answer.text();
    const predicted = answer.ok ? prediction(text) : undefined;
    if (!answer.ok) say(`  ${example.name}: the mesh answered ${answer.status}: ${text}`);
    results.push({ example, predicted, bodyFile });
  }
  say(`\nReal predictions through the mesh (MLServer behind it; ${served.length} of the examples):`);
  for (const line of predictionLines(results, { grpc: mesh.grpcPort, rest: mesh.restPort })) say(line);
  return results.every((r) => r.predicted?.predictedClass === r.example.model.expectedClasses[0]);
}

async function main(): Promise<number> {
  await up(say);
  say(
    `\nApplying ${exampleInferenceServices().length} example InferenceServices from config/example-isvcs...`,
  );
  await kubectl(["apply", "--server-side", "-n", CONTROLLER_NAMESPACE, "-k", EXAMPLES_DIR]);

  const client = testClient(loadKubeConfig(KUBECONFIG));
  const names = new Set(exampleInferenceServices().map((isvc) => isvc.metadata?.name));
  const served = await servedExamples();
  const servedBy = (name: string) =>
    served.some((e) => e.name === name) ? "real MLServer" : "emulated (no local runtime)";
  const started = Date.now();
  const tty = process.stdout.isTTY === true;
  let previous: string[] = [];
  let printed: string[] = [];

  for (;;) {
    const list = (await client.list(INFERENCE_SERVICES, { namespace: CONTROLLER_NAMESPACE })) as unknown as {
      items: Parameters<typeof rowOf>[0][];
    };
    const rows = list.items
      .filter((item) => names.has(item.metadata?.name))
      .map((item) => ({ ...rowOf(item), servedBy: servedBy(item.metadata?.name ?? "") }));
    const lines = renderProgress(rows, Date.now() - started, process.stdout.columns ?? 120);
    if (tty) {
      if (previous.length > 0) process.stdout.write(`\x1b[${previous.length}A\x1b[J`);
      process.stdout.write(`${lines.join("\n")}\n`);
    } else if (lines.slice(0, -1).join("\n") !== previous.slice(0, -1).join("\n")) {
      say(lines.join("\n"));
      printed = lines;
    }
    previous = lines;

    const done = rows.length === names.size && rows.every(isDone);
    if (done || Date.now() - started > TIMEOUT_MS) {
      if (!tty && printed !== lines) say(lines.at(-1) ?? "");
      if (done) {
        say(`\nAll ${rows.length} InferenceServices are Loaded.`);
        const predicted = await showPredictions(served);
        say("\nExplore the sandbox:");
        say(
          `  "$(bash scripts/build-control-plane.sh)/kubectl" --kubeconfig ${KUBECONFIG} get inferenceservices -A`,
        );
        say("  npm run local:down   # stop the sandbox");
        return predicted ? 0 : 1;
      }
      say(`\nNot every InferenceService reached Loaded within ${TIMEOUT_MS / 1000} s; see .local/logs/.`);
      return 1;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

try {
  process.exitCode = await main();
} catch (error) {
  console.error(`sandbox failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
