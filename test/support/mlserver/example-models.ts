/**
 * TEST/SANDBOX INFRASTRUCTURE — never shipped. Trains the example models of config/example-isvcs with the cached
 * Python environment (`train_examples.py`: scikit-learn's digits and a generated mushroom-like data set, no
 * download, a few seconds) and reads back the known inputs and expected classes written next to them.
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { z } from "zod";

const TRAIN_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), "train_examples.py");

const ExampleModelSchema = z.object({
  /** Relative to the models directory; the path an example's `storageUri` names after its bucket. */
  path: z.string(),
  /** The adapter's model type: sklearn, xgboost or lightgbm. */
  modelType: z.string(),
  features: z.number().int(),
  datatype: z.string(),
  /** One row of `features` values per known input. */
  inputs: z.array(z.array(z.number())),
  expectedClasses: z.array(z.number().int()),
  heldOutAccuracy: z.number(),
});

const ExamplesSchema = z.object({
  models: z.array(ExampleModelSchema),
  /** A file at a model path that no runtime can load. */
  broken: z.string(),
});

export type ExampleModel = z.infer<typeof ExampleModelSchema>;
export type ExampleModels = z.infer<typeof ExamplesSchema> & { readonly modelsDir: string };

/** Writes the example models under `modelsDir` (deterministic: the same bytes each run) and returns their examples. */
export async function trainExampleModels(pythonBinDir: string, modelsDir: string): Promise<ExampleModels> {
  await promisify(execFile)(path.join(pythonBinDir, "python"), [TRAIN_SCRIPT, modelsDir], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", OMP_NUM_THREADS: "1" },
  });
  return readExampleModels(modelsDir);
}

/** The examples `trainExampleModels` wrote under `modelsDir` earlier. */
export async function readExampleModels(modelsDir: string): Promise<ExampleModels> {
  const examples = ExamplesSchema.parse(
    JSON.parse(await readFile(path.join(modelsDir, "examples.json"), "utf8")),
  );
  return { ...examples, modelsDir: path.resolve(modelsDir) };
}

/** The example model stored at `relativePath` (e.g. `sklearn/mnist-svm.joblib`). */
export function exampleModel(examples: ExampleModels, relativePath: string): ExampleModel {
  const model = examples.models.find((m) => m.path === relativePath);
  if (!model) throw new Error(`no example model at ${relativePath}`);
  return model;
}
