/**
 * The statements of the HTTP API and /metrics (`sql/http/*.sql`), imported as text so they
 * are part of the module graph. Every one only reads (a read-only role such as dns_reader
 * runs them all).
 *
 * @module
 */
import clientDays from "../../sql/http/client_days.sql" with { type: "text" };
import clientNodes from "../../sql/http/client_nodes.sql" with { type: "text" };
import domainDays from "../../sql/http/domain_days.sql" with { type: "text" };
import domainNodes from "../../sql/http/domain_nodes.sql" with { type: "text" };
import domainQtypes from "../../sql/http/domain_qtypes.sql" with { type: "text" };
import domainSeen from "../../sql/http/domain_seen.sql" with { type: "text" };
import healthJobs from "../../sql/http/health_jobs.sql" with { type: "text" };
import metricsFederation from "../../sql/http/metrics_federation.sql" with { type: "text" };
import metricsFederationPresent from "../../sql/http/metrics_federation_present.sql" with {
  type: "text",
};
import metricsHour from "../../sql/http/metrics_hour.sql" with { type: "text" };
import metricsJobs from "../../sql/http/metrics_jobs.sql" with { type: "text" };
import nodes from "../../sql/http/nodes.sql" with { type: "text" };
import ping from "../../sql/http/ping.sql" with { type: "text" };

/** The HTTP statements by name. */
export const HTTP_SQL = {
  clientDays,
  clientNodes,
  domainDays,
  domainNodes,
  domainQtypes,
  domainSeen,
  healthJobs,
  metricsFederation,
  metricsFederationPresent,
  metricsHour,
  metricsJobs,
  nodes,
  ping,
} as const;
