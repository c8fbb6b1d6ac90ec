import type { Registry } from "prom-client";

export type MetricLabels = Partial<Record<string, string | number>>;

/** The sum of a metric's values over the label sets `match` accepts; 0 when the metric is not registered. */
export async function metricSum(
  registry: Registry | undefined,
  name: string,
  match: (labels: MetricLabels) => boolean = () => true,
): Promise<number> {
  const metric = await registry?.getSingleMetric(name)?.get();
  return (metric?.values ?? []).filter((v) => match(v.labels)).reduce((sum, v) => sum + v.value, 0);
}
