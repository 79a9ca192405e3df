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
    reminderLateness: new Histogram({
      name: "reminder_fire_lateness_seconds",
      help: "How late the scheduler published reminder.due after the reminder's time",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 30, 300],
      registers,
    }),
    remindersFired: new Counter({ name: "reminders_fired_total", help: "Reminders the scheduler fired, by outcome (due, missed)", labelNames: ["outcome"], registers }),
    notifications: new Counter({ name: "notifications_total", help: "Deliveries the notifier finished", labelNames: ["channel", "status"], registers }),
    consumerPending: new Gauge({
      name: "consumer_pending_messages",
      help: "Messages a durable consumer has not finished: not yet delivered plus delivered and unacked (refreshed on scrape)",
      labelNames: ["stream", "consumer"],
      registers,
    }),
    consumerMessages: new Counter({ name: "consumer_messages_total", help: "Messages a worker finished, by outcome", labelNames: ["consumer", "outcome"], registers }),
    rateLimited: new Counter({ name: "http_rate_limited_total", help: "Requests refused with 429, by limit (anon per address, user per user)", labelNames: ["scope"], registers }),
    idempotency: new Counter({
      name: "http_idempotency_requests_total",
      help: "Writes carrying an Idempotency-Key, by outcome (stored, replayed, conflict, mismatch, unprotected when NATS KV was unavailable)",
      labelNames: ["outcome"],
      registers,
    }),
    liveConnections: new Gauge({ name: "live_connections", help: "Open live-sync connections (authenticated), by transport", labelNames: ["transport"], registers }),
    liveMessagesSent: new Counter({ name: "live_messages_sent_total", help: "Events pushed to live-sync clients (one per event per connection), by transport", labelNames: ["transport"], registers }),
    liveSlowClientsDropped: new Counter({
      name: "live_slow_clients_dropped_total",
      help: "Live-sync clients disconnected because they read too slowly (send buffer over the limit), by transport",
      labelNames: ["transport"],
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof makeMetrics>;
