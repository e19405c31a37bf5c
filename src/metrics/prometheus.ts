// Reads the Prometheus text exposition format (what /metrics of vLLM, SGLang and llama.cpp
// serves). A scrape is a Map: the bare metric name holds the sum over all its label sets, and
// each labelled series is also kept under `name{a="x",b="y"}` with its labels sorted, so one
// series can be picked out again (see sumSeries). Lines that are not samples are skipped: a
// scrape is evidence about the server, never a reason to fail a run.

export type PrometheusScrape = Map<string, number>;

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;

export function parsePrometheus(text: string): PrometheusScrape {
  const out: PrometheusScrape = new Map();
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const sample = parseSample(line);
    if (!sample) continue;
    const { name, labels, value } = sample;
    if (labels.length > 0) out.set(seriesKey(name, labels), value);
    if (!Number.isNaN(value)) out.set(name, (out.get(name) ?? 0) + value);
  }
  return out;
}

/** Sum of the series of `name` whose labels include all of `match`; undefined when there are none. */
export function sumSeries(scrape: PrometheusScrape, name: string, match: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(match);
  if (wanted.length === 0) return scrape.get(name);
  let sum: number | undefined;
  for (const [key, value] of scrape) {
    if (!key.startsWith(`${name}{`) || Number.isNaN(value)) continue;
    const parsed = parseLabels(key, name.length);
    if (!parsed) continue;
    const labels = new Map(parsed.labels);
    if (wanted.every(([k, v]) => labels.get(k) === v)) sum = (sum ?? 0) + value;
  }
  return sum;
}

interface Sample {
  name: string;
  labels: [string, string][];
  value: number;
}

function parseSample(line: string): Sample | null {
  const name = NAME.exec(line)?.[0];
  if (!name) return null;
  let rest = line.slice(name.length);
  let labels: [string, string][] = [];
  if (rest.startsWith("{")) {
    const parsed = parseLabels(line, name.length);
    if (!parsed) return null;
    labels = parsed.labels;
    rest = line.slice(parsed.end);
  }
  // value, then an optional timestamp
  const valueText = rest.trim().split(/\s+/)[0];
  if (valueText === undefined || valueText === "" || !/^\s/.test(rest)) return null;
  const value = parseValue(valueText);
  return value === null ? null : { name, labels, value };
}

/** Parses `{a="x",b="y"}` starting at text[start] === "{". */
function parseLabels(text: string, start: number): { labels: [string, string][]; end: number } | null {
  const labels: [string, string][] = [];
  let i = start + 1;
  for (;;) {
    while (text[i] === " " || text[i] === ",") i++;
    if (text[i] === "}") return { labels, end: i + 1 };
    const key = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(text.slice(i))?.[0];
    if (!key) return null;
    i += key.length;
    while (text[i] === " ") i++;
    if (text[i] !== "=") return null;
    i++;
    while (text[i] === " ") i++;
    if (text[i] !== '"') return null;
    i++;
    let value = "";
    while (i < text.length && text[i] !== '"') {
      if (text[i] === "\\") {
        const next = text[i + 1];
        value += next === "n" ? "\n" : (next ?? "");
        i += 2;
      } else {
        value += text[i];
        i++;
      }
    }
    if (text[i] !== '"') return null;
    i++;
    labels.push([key, value]);
  }
}

function parseValue(text: string): number | null {
  switch (text) {
    case "NaN":
      return NaN;
    case "+Inf":
    case "Inf":
      return Infinity;
    case "-Inf":
      return -Infinity;
  }
  const v = Number(text);
  return Number.isNaN(v) ? null : v;
}

function seriesKey(name: string, labels: [string, string][]): string {
  const sorted = [...labels].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const body = sorted.map(([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`);
  return `${name}{${body.join(",")}}`;
}
