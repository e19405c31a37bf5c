// JUnit XML of a run's verdicts, for CI pages outside vitest (`agentload report --format junit`):
// one test case per objective, failed ones with the verdict line, the measured metrics as
// properties (junit-properties.ts, the same ones vitest's JUnit reporter shows).
import { headlineProperties, objectiveProperties, type Property } from "./junit-properties.js";
import type { Reporter } from "./types.js";

function xml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function properties(props: Property[]): string {
  return ["      <properties>", ...props.map((p) => `        <property name="${xml(p.name)}" value="${xml(p.value)}"/>`), "      </properties>"].join("\n");
}

export const junitReporter: Reporter = {
  name: "junit",
  description: "JUnit XML: a test case per SLO objective with the measured metrics as properties",
  render: (run) => {
    const cases = run.verdicts.map((v) => {
      const body = [properties(objectiveProperties(v, run.summary)), ...(v.pass ? [] : [`      <failure message="${xml(v.message)}"/>`])];
      return [`    <testcase classname="${xml(run.name)}" name="${xml(`SLO ${v.message.replace(/: (measured|no measurements).*$/, "")}`)}">`, ...body, "    </testcase>"].join("\n");
    });
    if (run.verdicts.length === 0) {
      const ok = run.summary.counts.ok > 0;
      cases.push(
        [`    <testcase classname="${xml(run.name)}" name="runs">`, properties(headlineProperties(run.summary)), ...(ok ? [] : ['      <failure message="no request succeeded"/>']), "    </testcase>"].join("\n"),
      );
    }
    const failures = run.verdicts.filter((v) => !v.pass).length + (run.verdicts.length === 0 && run.summary.counts.ok === 0 ? 1 : 0);
    return [
      '<?xml version="1.0" encoding="UTF-8"?>',
      `<testsuites name="agentload" tests="${cases.length}" failures="${failures}">`,
      `  <testsuite name="${xml(run.name)}" tests="${cases.length}" failures="${failures}">`,
      ...cases,
      "  </testsuite>",
      "</testsuites>",
      "",
    ].join("\n");
  },
};
