/**
 * Whether to trace, decided without loading OpenTelemetry: when this answers undefined the
 * SDK is never imported and nothing on the request path changes.
 */

export interface TracingConfig {
  /** The OTLP/HTTP traces URL spans are exported to (…/v1/traces). */
  readonly tracesUrl: string;
  readonly serviceName: string;
  readonly serviceVersion: string;
}

/**
 * The traces endpoint from `--otlp-endpoint` (a base URL, like OTEL_EXPORTER_OTLP_ENDPOINT),
 * else OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (the full URL), else OTEL_EXPORTER_OTLP_ENDPOINT
 * + /v1/traces, as the OpenTelemetry specification reads them; undefined when none is set
 * or OTEL_SDK_DISABLED=true. Throws on a URL that is not http(s).
 */
export function tracingConfigFrom(
  env: Readonly<Record<string, string | undefined>>,
  endpointFlag: string | undefined,
  serviceVersion: string,
): TracingConfig | undefined {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === "true") return undefined;
  const base = endpointFlag ?? nonEmpty(env.OTEL_EXPORTER_OTLP_ENDPOINT);
  const full = endpointFlag === undefined ? nonEmpty(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) : undefined;
  const tracesUrl = full ?? (base === undefined ? undefined : `${base.replace(/\/+$/, "")}/v1/traces`);
  if (tracesUrl === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(tracesUrl);
  } catch {
    throw new Error(`the OTLP endpoint ${JSON.stringify(tracesUrl)} is not a URL`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new Error(`the OTLP endpoint ${tracesUrl} is not http(s): hongbao exports OTLP over HTTP`);
  }
  return { tracesUrl, serviceName: nonEmpty(env.OTEL_SERVICE_NAME) ?? "hongbao", serviceVersion };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}
