// One database read per Prometheus scrape, shared by every gauge it fills.
//
// prom-client runs each metric's `collect` at once and prints each metric as soon as its own `collect` settles, so
// a gauge filled by another gauge's collect is printed with the previous scrape's value. Each gauge awaits this
// shared read in its own collect instead: the read starts with the first, and the others join it.

/** `read` once for the calls made while it runs; a later call (the next scrape) reads afresh. */
export function scrapeOnce<T>(read: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | null = null;
  return () => {
    running ??= read().finally(() => {
      running = null;
    });
    return running;
  };
}
