// The run folder: runs/<name>-<UTC time>/ holding the resolved spec, records.jsonl, the server's
// /metrics before and after, and summary.json.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export class RunFolder {
  private constructor(
    readonly dir: string,
    readonly id: string,
  ) {}

  static create(parent: string, name: string, at: Date = new Date()): RunFolder {
    const stamp = at.toISOString().replace(/[:]/g, "").replace(/\.\d+Z$/, "Z");
    const safe = name.replace(/[^A-Za-z0-9._-]+/g, "-").slice(0, 60) || "run";
    let id = `${safe}-${stamp}`;
    let dir = join(parent, id);
    for (let n = 2; ; n++) {
      try {
        mkdirSync(dir, { recursive: false });
        break;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === "ENOENT") {
          mkdirSync(parent, { recursive: true });
          n--;
          continue;
        }
        if (code !== "EEXIST") throw err;
        id = `${safe}-${stamp}-${n}`;
        dir = join(parent, id);
      }
    }
    return new RunFolder(dir, id);
  }

  path(file: string): string {
    return join(this.dir, file);
  }

  writeJson(file: string, data: unknown): void {
    writeFileSync(this.path(file), JSON.stringify(data, null, 2) + "\n");
  }

  writeText(file: string, text: string): void {
    writeFileSync(this.path(file), text);
  }
}
