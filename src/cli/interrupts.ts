// Ctrl-C, SIGTERM (what CI, `timeout`, Docker and Kubernetes send to stop a job) and SIGHUP stop a
// command gracefully: the first one runs the command's `first` handler (a run stops dispatching
// and writes its summary); a second one, of either kind, quits at once with the same exit code.
export interface Interrupts {
  /** How the first signal is named in messages ("Ctrl-C", "SIGTERM"), or undefined before one came. */
  received(): string | undefined;
  /** Stops listening. */
  dispose(): void;
}

export interface InterruptOptions {
  /** The first signal, named for messages. */
  first: (label: string) => void;
  /** The line printed before a second signal quits. */
  forced: (label: string) => string;
  /** The exit code of a second signal (and of the command after the first). */
  exitCode: number;
}

// SIGHUP (the terminal or SSH session closed) too: the run ends with its summary, not mid-request.
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/** A set-up step left on the signal may keep a socket to a server that never answers open: the process ends this long after the command returns, whatever still holds it. */
const LINGER_MS = 500;

export function catchInterrupts(opts: InterruptOptions): Interrupts {
  let first: string | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    const label = signal === "SIGINT" ? "Ctrl-C" : signal;
    if (first === undefined) {
      first = label;
      opts.first(label);
      return;
    }
    console.error(`\nagentload: ${opts.forced(label)}`);
    process.exit(opts.exitCode);
  };
  for (const s of SIGNALS) process.on(s, onSignal);
  return {
    received: () => first,
    dispose() {
      for (const s of SIGNALS) process.off(s, onSignal);
      if (first !== undefined) setTimeout(() => process.exit(), LINGER_MS).unref();
    },
  };
}
