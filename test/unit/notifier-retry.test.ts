// The shared retry loop and how each channel's failures are classified.
import { describe, expect, it } from "vitest";
import { classifySmtpError } from "../../src/workers/notifier/email.ts";
import { classifyPushResponse, parseRetryAfter } from "../../src/workers/notifier/push.ts";
import { DeliveryError, retryDelivery, withDeadline } from "../../src/workers/notifier/retry.ts";

const transient = (extra: { retryAfterMs?: number } = {}) => new DeliveryError("FLAKY", "try again", { kind: "transient", ...extra });
const permanent = () => new DeliveryError("GONE", "never", { kind: "permanent" });
const classify = (err: unknown) => new DeliveryError("UNKNOWN", String(err), { kind: "transient" });

/** Runs retryDelivery over a scripted list of outcomes, recording when each attempt started. */
async function run(outcomes: Array<DeliveryError | "ok">, delaysMs: number[], extra: { signal?: AbortSignal; maxRetryAfterMs?: number } = {}) {
  const started: number[] = [];
  const t0 = Date.now();
  const result = retryDelivery(
    async (n) => {
      started.push(Date.now() - t0);
      const outcome = outcomes[n - 1] ?? "ok";
      if (outcome !== "ok") throw outcome;
    },
    { delaysMs, classify, ...extra },
  );
  return { result, started };
}

describe("retryDelivery", () => {
  it("retries transient failures after each scheduled delay and reports the attempts it took", async () => {
    const { result, started } = await run([transient(), transient(), "ok"], [30, 60]);
    await expect(result).resolves.toEqual({ attempts: 3 });
    expect(started[1]! - started[0]!).toBeGreaterThanOrEqual(29);
    expect(started[2]! - started[1]!).toBeGreaterThanOrEqual(59);
  });

  it("throws the last failure with attempts = 1 + the number of delays once they run out", async () => {
    const { result } = await run([transient(), transient(), transient(), transient()], [1, 1]);
    await expect(result).rejects.toMatchObject({ code: "FLAKY", kind: "transient", attempts: 3 });
  });

  it("stops at the first permanent failure", async () => {
    const { result, started } = await run([transient(), permanent(), "ok"], [1, 1, 1]);
    await expect(result).rejects.toMatchObject({ code: "GONE", attempts: 2 });
    expect(started).toHaveLength(2);
  });

  it("waits a Retry-After longer than the scheduled delay, but no longer than the cap", async () => {
    const honoured = await run([transient({ retryAfterMs: 150 }), "ok"], [1]);
    await honoured.result;
    expect(honoured.started[1]! - honoured.started[0]!).toBeGreaterThanOrEqual(149);
    const capped = await run([transient({ retryAfterMs: 3_600_000 }), "ok"], [1], { maxRetryAfterMs: 50 });
    await capped.result;
    expect(capped.started[1]! - capped.started[0]!).toBeLessThan(1_000);
  });

  it("classifies what is not a DeliveryError and rejects with the abort reason on abort", async () => {
    await expect(retryDelivery(async () => { throw new Error("boom"); }, { delaysMs: [], classify })).rejects.toMatchObject({ code: "UNKNOWN", attempts: 1 });
    const controller = new AbortController();
    const { result } = await run([transient(), "ok"], [10_000], { signal: controller.signal });
    setTimeout(() => controller.abort(new Error("shutting down")), 20);
    await expect(result).rejects.toThrow("shutting down");
  });
});

describe("withDeadline", () => {
  it("rejects with the timeout error even when the attempt ignores its signal, and aborts that signal", async () => {
    let seen: AbortSignal | undefined;
    const pending = withDeadline((signal) => { seen = signal; return new Promise<never>(() => undefined); }, { timeoutMs: 30, onTimeout: () => transient() });
    await expect(pending).rejects.toMatchObject({ code: "FLAKY" });
    expect(seen?.aborted).toBe(true);
  });

  it("passes the attempt's own result and error through", async () => {
    await expect(withDeadline(async () => 42, { timeoutMs: 1_000, onTimeout: () => transient() })).resolves.toBe(42);
    await expect(withDeadline(async () => { throw permanent(); }, { timeoutMs: 1_000, onTimeout: () => transient() })).rejects.toMatchObject({ code: "GONE" });
  });
});

describe("SMTP error classification", () => {
  it.each([
    [{ code: "EAUTH", responseCode: 535, permanent: true, response: "535 5.7.8 bad credentials" }, "SMTP_AUTH_FAILED", "permanent", true],
    [{ code: "EENVELOPE", responseCode: 530, permanent: true, command: "MAIL FROM", response: "530 authentication required" }, "SMTP_AUTH_FAILED", "permanent", true],
    [{ code: "EENVELOPE", responseCode: 550, permanent: true, command: "RCPT TO", response: "550 5.1.1 no such user" }, "RECIPIENT_REJECTED", "permanent", false],
    [{ code: "EENVELOPE", responseCode: 450, permanent: false, command: "RCPT TO", response: "450 greylisted" }, "RECIPIENT_REJECTED", "transient", false],
    [{ code: "EENVELOPE", command: "API", message: "No recipients defined" }, "INVALID_RECIPIENT", "permanent", false],
    [{ code: "EMESSAGE", responseCode: 552, permanent: true, response: "552 too big" }, "MESSAGE_REJECTED", "permanent", false],
    [{ code: "EMESSAGE", responseCode: 451, permanent: false, response: "451 try later" }, "SMTP_DEFERRED", "transient", false],
    [{ code: "ESOCKET", message: "connect ECONNREFUSED 127.0.0.1:25" }, "SMTP_UNAVAILABLE", "transient", false],
    [{ code: "ETIMEDOUT", message: "Greeting never received" }, "SMTP_UNAVAILABLE", "transient", false],
    [{ code: "ETLS", message: "self-signed certificate" }, "SMTP_CONFIG", "transient", true],
  ])("%o → %s, %s, critical %s", (err, code, kind, critical) => {
    expect(classifySmtpError(err)).toMatchObject({ code, kind, critical });
  });

  it("puts the server's reply for the rejected recipient in the message", () => {
    const err = { code: "EENVELOPE", responseCode: 550, permanent: true, command: "RCPT TO", response: "550 x", rejectedErrors: [{ response: "550 5.1.1 <bob@example.com>: no such user" }] };
    expect(classifySmtpError(err).message).toBe("SMTP server refused the mail: 550 5.1.1 <bob@example.com>: no such user");
  });
});

describe("push response classification", () => {
  it.each([
    [201, null, null],
    [404, "SUBSCRIPTION_EXPIRED", "permanent"],
    [410, "SUBSCRIPTION_EXPIRED", "permanent"],
    [429, "PUSH_RATE_LIMITED", "transient"],
    [500, "PUSH_SERVICE_UNAVAILABLE", "transient"],
    [503, "PUSH_SERVICE_UNAVAILABLE", "transient"],
    [400, "PUSH_REJECTED", "permanent"],
    [401, "PUSH_UNAUTHORIZED", "permanent"],
    [403, "PUSH_FORBIDDEN", "permanent"],
    [413, "PUSH_PAYLOAD_TOO_LARGE", "permanent"],
  ])("%i → %s %s", (status, code, kind) => {
    const failure = classifyPushResponse(status, {}, "");
    expect(failure === null ? null : failure.code).toBe(code);
    expect(failure === null ? null : failure.kind).toBe(kind);
  });

  it("reads Retry-After as seconds or as an HTTP date", () => {
    expect(classifyPushResponse(429, { "retry-after": "7" }, "")?.retryAfterMs).toBe(7_000);
    expect(parseRetryAfter("Wed, 21 Oct 2015 07:28:30 GMT", Date.parse("2015-10-21T07:28:00Z"))).toBe(30_000);
    expect(parseRetryAfter("soon")).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});
