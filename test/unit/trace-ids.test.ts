import { describe, expect, it } from "vitest";
import { parseTraceparent, randomHex } from "../../src/api/middleware/trace/index.ts";

describe("trace ids", () => {
  it("are lower-case hex of the asked length, and never repeat across refills of the random pool", () => {
    // 24 bytes per request (trace + span id): 2 000 requests draw the 4 KiB pool a dozen times over.
    const ids = Array.from({ length: 2_000 }, () => [randomHex(16), randomHex(8)]);
    expect(ids.every(([trace, span]) => /^[0-9a-f]{32}$/.test(trace!) && /^[0-9a-f]{16}$/.test(span!))).toBe(true);
    expect(new Set(ids.flat()).size).toBe(4_000);
  });

  it("are accepted back as a traceparent", () => {
    const traceId = randomHex(16);
    expect(parseTraceparent(`00-${traceId}-${randomHex(8)}-01`)).toEqual({ traceId, flags: "01" });
  });
});
