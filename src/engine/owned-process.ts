// Child processes agentload owns (the engine, its build steps): none may outlive agentload,
// however it ends. stop() and the caller's handlers end them normally; process exit and a signal
// nobody else handles kill them here; SIGKILL runs no code of ours, so for it each child carries a
// watchdog. The child starts through /bin/sh as the leader of a new process group (setsid), with
// a watchdog subshell in that group reading a pipe from agentload; the shell then execs the
// command, so the child's pid is the command's own (signals, exit status and `pkill -P` reach the
// engine itself). When agentload dies the kernel closes the pipe, the watchdog's read returns
// end-of-file and it stops the group: SIGTERM, then SIGKILL once 5 s have passed. When the child
// ends first, agentload writes a line to the pipe and the watchdog exits without signalling, so
// it never signals a pid whose process has gone. The own group also keeps a terminal's Ctrl-C
// from reaching the engine directly: agentload stops its run gracefully, then the engine.
import { spawn, type ChildProcess } from "node:child_process";

export interface OwnedSpawnOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** A child with piped stdout and stderr (its stdin belongs to the watchdog). */
export type OwnedChild = ChildProcess & { stdout: NonNullable<ChildProcess["stdout"]>; stderr: NonNullable<ChildProcess["stderr"]> };

/** How long the watchdog gives the group after SIGTERM before SIGKILL, in 0.1 s steps (llama-server ends in well under 1 s). */
const WATCHDOG_GRACE_STEPS = 50;

// fd 3 keeps agentload's pipe for the watchdog; the command gets /dev/null as stdin and no fd 3.
// The watchdog ignores TERM so that signalling its own group does not end it before the KILL.
const WATCHDOG = `exec 3<&0 </dev/null
(
  trap '' INT TERM HUP
  read -r _ <&3 && exit 0
  kill -s TERM -- -$$ 2>/dev/null
  i=0
  while [ "$i" -lt ${WATCHDOG_GRACE_STEPS} ] && kill -0 $$ 2>/dev/null; do sleep 0.1; i=$((i+1)); done
  kill -s KILL -- -$$ 2>/dev/null
) >/dev/null 2>&1 &
exec "$@" 3<&-`;

/** Windows has neither /bin/sh nor process groups: there the child is spawned plainly (no SIGKILL guarantee). */
const guarded = process.platform !== "win32";

const live = new Set<ChildProcess>();
let hooksInstalled = false;

/** SIGKILL to the child's whole group (the command, anything it started, its watchdog). */
function killNow(child: ChildProcess): void {
  try {
    if (guarded && child.pid) process.kill(-child.pid, "SIGKILL");
    else child.kill("SIGKILL");
  } catch {
    child.kill("SIGKILL");
  }
}

// Process exit and signals: kill every live child at once. A signal re-raises after cleanup so
// the caller's exit code behaves as without us.
function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  const killAll = () => {
    for (const child of live) killNow(child);
  };
  process.on("exit", killAll);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    const onSignal = () => {
      // Someone else (a run's graceful Ctrl-C) handles this signal: leave the children up for
      // them; the exit hook still kills them when the process ends.
      if (process.listenerCount(signal) > 1) return;
      killAll();
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

/** Starts `command args` as a child that dies with agentload (see the top of this file). */
export function spawnOwned(command: string, args: string[], opts: OwnedSpawnOptions = {}): OwnedChild {
  installExitHooks();
  const env = opts.env ?? process.env;
  const cwd = opts.cwd !== undefined ? { cwd: opts.cwd } : {};
  const child = guarded
    ? spawn("/bin/sh", ["-c", WATCHDOG, "agentload-watchdog", command, ...args], { env, ...cwd, detached: true, stdio: ["pipe", "pipe", "pipe"] })
    : spawn(command, args, { env, ...cwd, stdio: ["ignore", "pipe", "pipe"] });
  live.add(child);
  // The watchdog may already be gone (killed with the group): a closed pipe is no error here.
  child.stdin?.on("error", () => {});
  child.on("exit", () => {
    live.delete(child);
    child.stdin?.end("\n");
  });
  child.on("error", () => {
    live.delete(child);
  });
  return child as OwnedChild;
}
