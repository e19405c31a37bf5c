// Checks of `agentload run`'s connection and output flags, made before anything is started or
// created: a bad value failed late (a stack trace once the run folder was made, or every request
// failing as a reset) and left a stray run folder behind.
import { accessSync, constants, mkdirSync, rmdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { isHttpUrl } from "../workload/spec-semantics.js";
import { CliError } from "./args.js";

/** Shows a user's text in a message, cut short. */
function quoted(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text);
}

/** `--url` must be an absolute http(s) URL (a missing /v1 is preflight's to say, with the server's answer). */
export function checkServerUrl(url: string): void {
  if (!isHttpUrl(url)) {
    throw new CliError(`--url expects an http:// or https:// URL including /v1, such as http://127.0.0.1:8080/v1, got ${quoted(url)}`);
  }
}

/**
 * `--out` must be a folder the run folder can be made in: the folder itself, or its nearest
 * existing ancestor when it is to be created, must be a writable directory.
 */
export function checkOutDir(out: string): void {
  let at = resolve(out);
  for (;;) {
    try {
      const st = statSync(at);
      if (!st.isDirectory()) throw new CliError(`--out ${out}: ${at} is a file, not a folder; expected a folder to write run folders in`);
      break;
    } catch (e) {
      if (e instanceof CliError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      // Missing (or under a file, which the next step up finds): look at the parent.
      if ((code !== "ENOENT" && code !== "ENOTDIR") || dirname(at) === at) {
        throw new CliError(`--out ${out}: cannot use ${at} (${code ?? (e as Error).message})`);
      }
      at = dirname(at);
    }
  }
  try {
    accessSync(at, constants.W_OK | constants.X_OK);
  } catch (e) {
    throw new CliError(`--out ${out}: cannot write in ${at} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); expected a writable folder`);
  }
  // As root, access() says yes to any folder: making the first missing one (then removing it) is
  // the check. Under /proc it fails, where Node's recursive mkdir never returned.
  const missing = resolve(out) === at ? undefined : join(at, relative(at, resolve(out)).split(sep)[0]!);
  if (missing === undefined) return;
  try {
    mkdirSync(missing);
    rmdirSync(missing);
  } catch (e) {
    throw new CliError(`--out ${out}: cannot create ${missing} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); expected a folder agentload can create and write in`);
  }
}

/**
 * What an HTTP header value cannot hold (Node's and undici's rule: tab, printable ASCII and
 * Latin-1 only). A key with a line break failed every request as a `reset`.
 */
const BAD_HEADER_CHAR = /[^\t\x20-\x7e\x80-\xff]/;
/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function badCharacter(value: string): string | undefined {
  const m = BAD_HEADER_CHAR.exec(value);
  if (!m) return undefined;
  const c = m[0].charCodeAt(0);
  if (c === 10 || c === 13) return "a line break";
  return c < 0x20 || c === 0x7f ? "a control character" : "a character beyond Latin-1";
}

/**
 * Where the API key comes from (the flag, else the environment; an empty one counts as unset, as
 * `AGENTLOAD_API_KEY=` is meant), checked; never shown in messages.
 */
export function apiKeyOf(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const sources: [string, string | undefined][] = [
    ["--api-key", flag],
    ["AGENTLOAD_API_KEY", env.AGENTLOAD_API_KEY],
    ["OPENAI_API_KEY", env.OPENAI_API_KEY],
  ];
  for (const [name, key] of sources) {
    if (key === undefined || key === "") continue;
    const bad = badCharacter(key);
    if (bad) {
      const where = name.startsWith("--") ? `the ${name} value` : `the API key in ${name}`;
      throw new CliError(`${where} contains ${bad}, which an HTTP header cannot carry (the key is not shown); set it again without it`);
    }
    return key;
  }
  return undefined;
}

/** `--header 'Name: value'` flags as a header object, each name and value checked. */
export function parseHeaders(values: string[] | undefined): Record<string, string> | undefined {
  if (!values?.length) return undefined;
  const out: Record<string, string> = {};
  for (const h of values) {
    const i = h.indexOf(":");
    const name = i > 0 ? h.slice(0, i).trim() : "";
    if (!HEADER_NAME.test(name)) throw new CliError(`--header expects 'Name: value', got ${quoted(h)}`);
    const value = h.slice(i + 1).trim();
    const bad = badCharacter(value);
    // The value may be a secret (Authorization): name the header, not what it holds.
    if (bad) throw new CliError(`--header ${name}: the value contains ${bad}, which an HTTP header cannot carry`);
    out[name] = value;
  }
  return out;
}
