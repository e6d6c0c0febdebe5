// One instance of a test service per run, whichever projects' global setups ask for it: started by the first,
// stopped when the last one lets go.

interface Entry {
  started: Promise<Started<unknown>>;
  users: number;
}

export interface Started<T> {
  value: T;
  stop(): Promise<void>;
}

export interface Shared<T> {
  value: T;
  /** this project is done with it; the last release stops it */
  release(): Promise<void>;
}

// Vitest imports each project's global setup through that project's own module runner, so module state is per
// project; the projects share the process, so the registry lives on globalThis.
const KEY = Symbol.for('boitata.test.shared-for-run');
const holder = globalThis as { [KEY]?: Map<string, Entry> };
const registry = (holder[KEY] ??= new Map<string, Entry>());

export async function shareForRun<T>(name: string, start: () => Promise<Started<T>>): Promise<Shared<T>> {
  let entry = registry.get(name);
  if (entry === undefined) {
    entry = { started: start(), users: 0 };
    registry.set(name, entry);
  }
  const current = entry;
  current.users += 1;
  let started: Started<T>;
  try {
    started = (await current.started) as Started<T>;
  } catch (error) {
    current.users -= 1;
    if (current.users === 0) registry.delete(name);
    throw error;
  }
  let released = false;
  return {
    value: started.value,
    async release() {
      if (released) return;
      released = true;
      current.users -= 1;
      if (current.users > 0) return;
      registry.delete(name);
      await started.stop();
    },
  };
}
