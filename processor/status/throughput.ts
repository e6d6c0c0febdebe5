// Rows landed per second over the last minutes, in fixed buckets that end at the snapshot's "now" (pure).

export interface ThroughputBucket {
  /** ISO timestamps: the bucket covers [start, end) */
  start: string;
  end: string;
  rows: number;
  messages: number;
  rows_per_second: number;
}

export interface Throughput {
  unit: 'rows/s';
  bucket_seconds: number;
  window_seconds: number;
  /** oldest first; the last one ends at the snapshot time */
  buckets: ThroughputBucket[];
  rows: number;
  messages: number;
  /** the last minute (or the last bucket when buckets are longer) */
  rows_per_second_last_minute: number;
}

/** One row of the bucket query: `age` 0 is the most recent bucket. */
export interface BucketCount {
  age: number;
  rows: number;
  messages: number;
}

/** Dense buckets (empty ones are zero) from the sparse counts the database returns. */
export function fillThroughput(counts: readonly BucketCount[], now: Date, bucketSeconds: number, windowSeconds: number): Throughput {
  const size = Math.max(1, Math.round(windowSeconds / bucketSeconds));
  const rows = new Array<number>(size).fill(0);
  const messages = new Array<number>(size).fill(0);
  for (const count of counts) {
    // A message settled between our transaction's start and its snapshot has a slightly negative age.
    const age = Math.max(0, count.age);
    if (age >= size) continue;
    rows[age]! += count.rows;
    messages[age]! += count.messages;
  }
  const at = (secondsAgo: number) => new Date(now.getTime() - secondsAgo * 1000).toISOString();
  const buckets: ThroughputBucket[] = [];
  for (let age = size - 1; age >= 0; age -= 1) {
    buckets.push({
      start: at((age + 1) * bucketSeconds),
      end: at(age * bucketSeconds),
      rows: rows[age]!,
      messages: messages[age]!,
      rows_per_second: rows[age]! / bucketSeconds,
    });
  }
  const lastMinute = buckets.slice(-Math.max(1, Math.round(60 / bucketSeconds)));
  return {
    unit: 'rows/s',
    bucket_seconds: bucketSeconds,
    window_seconds: size * bucketSeconds,
    buckets,
    rows: sum(rows),
    messages: sum(messages),
    rows_per_second_last_minute: sum(lastMinute.map((b) => b.rows)) / (lastMinute.length * bucketSeconds),
  };
}

const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);
