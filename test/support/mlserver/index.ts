/**
 * TEST/SANDBOX INFRASTRUCTURE — never shipped. A real MLServer runtime for the sandbox's mesh and for tests: the
 * cached Python environment, the example models, the MLServer process, mlserver-adapter-style loading, and the
 * KServe v2 REST ↔ gRPC translation of rest-proxy.
 */
export {
  type ExampleModel,
  type ExampleModels,
  exampleModel,
  readExampleModels,
  trainExampleModels,
} from "./example-models.js";
export {
  DEFAULT_DEADLINE_MS,
  type InferenceClient,
  inferenceClient,
  type ModelRepositoryClient,
  modelRepositoryClient,
} from "./grpc-clients.js";
export {
  type MlserverOptions,
  type MlserverProcess,
  processGroupMembers,
  startMlserver,
} from "./mlserver-process.js";
export {
  generatedModelSettings,
  MlserverLoadError,
  MlserverModelRepository,
  type ModelToLoad,
  modelDirectory,
  normalizedModelType,
} from "./model-repository.js";
export { pythonEnvBinDir } from "./python-env.js";
export {
  grpcErrorReply,
  httpStatusOf,
  inferResponseReply,
  metadataResponseReply,
  type RestCall,
  type RestReply,
  RestTranslationError,
  restCall,
} from "./v2-rest.js";
