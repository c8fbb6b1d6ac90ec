/** Samples read from Prometheus' text exposition format, as a `/metrics` endpoint serves it. */

export interface ExposedSample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Every sample of the metric `name` in `text`, with its labels. */
export function exposedSamples(text: string, name: string): ExposedSample[] {
  const samples: ExposedSample[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith(name) || (line[name.length] !== "{" && line[name.length] !== " ")) continue;
    const labelsEnd = line[name.length] === "{" ? line.lastIndexOf("}") : name.length;
    const labels = Object.fromEntries(
      [...line.slice(name.length, labelsEnd).matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(
        ([, key = "", value = ""]) => [key, value],
      ),
    );
    samples.push({ labels, value: Number(line.slice(line.lastIndexOf(" ") + 1)) });
  }
  return samples;
}
