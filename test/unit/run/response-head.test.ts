import { describe, expect, it } from "vitest";
import { isEventStream, retryAfterMs, shownUrl } from "../../../src/run/response-head.js";

describe("isEventStream", () => {
  it("takes text/event-stream with parameters and any case, and a missing header", () => {
    for (const t of ["text/event-stream", "text/event-stream; charset=utf-8", "Text/Event-Stream", undefined, ""]) expect(isEventStream(t)).toBe(true);
  });
  it("refuses JSON, HTML, plain text and look-alikes", () => {
    for (const t of ["application/json", "text/html; charset=utf-8", "text/plain", "text/event-streamx", "application/x-ndjson"]) expect(isEventStream(t)).toBe(false);
  });
});

describe("retryAfterMs", () => {
  const now = Date.parse("2025-01-01T00:00:00Z");
  it("reads seconds and HTTP dates, never below zero", () => {
    expect(retryAfterMs("120", now)).toBe(120_000);
    expect(retryAfterMs(" 0.5 ", now)).toBe(500);
    expect(retryAfterMs("Wed, 01 Jan 2025 00:00:03 GMT", now)).toBe(3000);
    expect(retryAfterMs("Tue, 31 Dec 2024 23:59:00 GMT", now)).toBe(0);
  });
  it("is undefined when absent or unreadable", () => {
    expect(retryAfterMs(undefined, now)).toBeUndefined();
    expect(retryAfterMs("soon", now)).toBeUndefined();
    expect(retryAfterMs("-5", now)).toBeUndefined();
  });
});

describe("shownUrl", () => {
  it("drops user info and query values, keeping the query's names", () => {
    expect(shownUrl(new URL("https://user:pw@api.example.com/v1/chat/completions?api-key=s3cret&api-version=1&api-key=again"))).toBe(
      "https://api.example.com/v1/chat/completions?api-key=...&api-version=...",
    );
    expect(shownUrl(new URL("http://127.0.0.1:8080/v1/completions"))).toBe("http://127.0.0.1:8080/v1/completions");
  });
});
