// Prometheus metrics, one registry per process (made in context.ts, passed along; no global registry).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export function makeMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    httpRequests: new Counter({ name: "http_requests_total", help: "HTTP requests answered", labelNames: ["method", "route", "status"], registers }),
    httpDuration: new Histogram({
      name: "http_request_duration_seconds",
      help: "HTTP request duration",
      labelNames: ["method", "route"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    outboxDepth: new Gauge({ name: "outbox_depth", help: "Events committed but not yet published", registers }),
    eventsPublished: new Counter({ name: "events_published_total", help: "Events the relay published", labelNames: ["event_type"], registers }),
    consumerMessages: new Counter({ name: "consumer_messages_total", help: "Messages a worker finished, by outcome", labelNames: ["consumer", "outcome"], registers }),
  };
}

export type Metrics = ReturnType<typeof makeMetrics>;
