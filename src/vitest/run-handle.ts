// The `run` describeWorkload hands to its callback at collection time, before the workload has
// run: a stand-in that forwards every property to the real run once beforeAll has set it, so
// `expect(run.ttfc)` and `expect(run).toMeetSLO(...)` inside tests see the finished run.

export interface RunHandle<T extends object> {
  /** The stand-in. */
  readonly view: T;
  set(value: T): void;
  get(): T | undefined;
}

export function lazyRun<T extends object>(workload: string): RunHandle<T> {
  let value: T | undefined;
  const real = (): T => {
    if (value === undefined) {
      throw new Error(
        `describeWorkload(${JSON.stringify(workload)}): the run is not there yet: read it inside tests (slo, test, it), ` +
          "which run after the workload; if this is inside a test, the workload's run failed (see the hook error)",
      );
    }
    return value;
  };
  // The target is a plain object that never gets properties, so every trap may answer for the
  // real run without breaking a proxy invariant (descriptors are reported configurable).
  const view = new Proxy({} as T, {
    get: (_t, key) => {
      const run = real();
      const v = Reflect.get(run, key, run) as unknown;
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(run) : v;
    },
    has: (_t, key) => Reflect.has(real(), key),
    ownKeys: () => Reflect.ownKeys(real()),
    getOwnPropertyDescriptor: (_t, key) => {
      const d = Reflect.getOwnPropertyDescriptor(real(), key);
      return d ? { ...d, configurable: true } : undefined;
    },
    getPrototypeOf: () => Reflect.getPrototypeOf(real()),
    set: () => false,
    defineProperty: () => false,
    deleteProperty: () => false,
  });
  return {
    view,
    set: (v) => {
      value = v;
    },
    get: () => value,
  };
}
