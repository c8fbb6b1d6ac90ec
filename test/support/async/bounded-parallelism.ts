/** Runs `task` over `items` with at most `parallelism` calls in flight; rejects on the first failure. */
export async function forEachBounded<T>(
  items: readonly T[],
  parallelism: number,
  task: (item: T, index: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < items.length; i = next++) await task(items[i] as T, i);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(parallelism, items.length)) }, lane));
}
