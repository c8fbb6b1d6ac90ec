/** The sandbox's progress display: one line per InferenceService, from the statuses the controller writes. */

export interface ModelRow {
  name: string;
  active: string;
  target: string;
  transition: string;
  available: boolean;
  failure: string;
  /** What serves the model: a real runtime, or the emulator alone (empty: not said). */
  servedBy?: string;
}

interface IsvcLike {
  metadata?: { name?: string };
  status?: {
    modelStatus?: {
      transitionStatus?: string;
      states?: { activeModelState?: string; targetModelState?: string };
      lastFailureInfo?: { reason?: string; message?: string };
    };
    conditions?: { type?: string; status?: string }[];
  };
}

export function rowOf(isvc: IsvcLike): ModelRow {
  const model = isvc.status?.modelStatus;
  const failure = model?.lastFailureInfo;
  return {
    name: isvc.metadata?.name ?? "",
    active: model?.states?.activeModelState || "Pending",
    target: model?.states?.targetModelState ?? "",
    transition: model?.transitionStatus ?? "",
    available: isvc.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false,
    failure: failure?.reason ? `${failure.reason}: ${failure.message ?? ""}`.trim() : "",
  };
}

export function isDone(row: ModelRow): boolean {
  return row.available && row.active === "Loaded" && row.target === "";
}

/** The table, a count and a bar; `width` limits each line for the terminal. */
export function renderProgress(rows: readonly ModelRow[], elapsedMs: number, width = 120): string[] {
  const nameWidth = Math.max(4, ...rows.map((row) => row.name.length));
  const servedWidth = Math.max(0, ...rows.map((row) => row.servedBy?.length ?? 0));
  // Padded only when a failure follows it on the line.
  const served = (text: string, more: boolean) =>
    servedWidth === 0 ? "" : `  ${more ? text.padEnd(servedWidth) : text}`;
  const header = `${"NAME".padEnd(nameWidth)}  ${"ACTIVE".padEnd(12)} ${"TARGET".padEnd(12)} ${"TRANSITION".padEnd(19)} READY${served("SERVED BY", false)}`;
  const lines = rows.map((row) =>
    `${row.name.padEnd(nameWidth)}  ${row.active.padEnd(12)} ${(row.target || "-").padEnd(12)} ${(row.transition || "-").padEnd(19)} ${row.available ? "yes" : "no "}${served(row.servedBy ?? "", row.failure !== "")}${row.failure ? `  ${row.failure}` : ""}`.slice(
      0,
      width,
    ),
  );
  const done = rows.filter(isDone).length;
  const barWidth = 30;
  const filled = rows.length === 0 ? 0 : Math.round((done / rows.length) * barWidth);
  const bar = `[${"#".repeat(filled)}${".".repeat(barWidth - filled)}] ${done}/${rows.length} Loaded  ${(elapsedMs / 1000).toFixed(1)} s`;
  return [header, ...lines, "", bar];
}
