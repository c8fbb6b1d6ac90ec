/** Container env lists: later settings replace a same-named variable in place, else append. */
import type { V1EnvVar } from "@kubernetes/client-node";

export function envVar(name: string, value: string | number | boolean): V1EnvVar {
  return { name, value: String(value) };
}

export function fieldRefEnvVar(name: string, fieldPath: string): V1EnvVar {
  return { name, valueFrom: { fieldRef: { fieldPath } } };
}

/** Sets `variable` in `env` (owned by the caller): replaces the variable of the same name where it is, or appends. */
export function setEnv(env: V1EnvVar[], variable: V1EnvVar): void {
  const index = env.findIndex((existing) => existing.name === variable.name);
  if (index >= 0) env[index] = variable;
  else env.push(variable);
}
