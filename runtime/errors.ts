// The one error shape every runtime route answers with: `{error: {code, message, field?}}`, so a
// caller can branch on `code` without parsing prose. Statuses follow the code, never the reverse.

export type ApiErrorCode =
  | "malformed_json"
  | "body_too_large"
  | "unsupported_media_type"
  | "unknown_field"
  | "missing_field"
  | "invalid_type"
  | "invalid_value"
  | "wrong_dims"
  | "not_finite"
  | "k_out_of_range"
  | "batch_too_large"
  | "invalid_features"
  | "version_mismatch"
  | "unknown_version"
  | "not_ready"
  | "route_not_found"
  | "internal";

const STATUS: Record<ApiErrorCode, number> = {
  malformed_json: 400,
  body_too_large: 413,
  unsupported_media_type: 400,
  unknown_field: 400,
  missing_field: 400,
  invalid_type: 400,
  invalid_value: 400,
  wrong_dims: 400,
  not_finite: 400,
  k_out_of_range: 400,
  batch_too_large: 400,
  invalid_features: 400,
  version_mismatch: 409,
  unknown_version: 404,
  not_ready: 503,
  route_not_found: 404,
  internal: 500,
};

export interface ApiErrorBody {
  error: { code: ApiErrorCode; message: string; field?: string; [extra: string]: unknown };
}

export class ApiError extends Error {
  readonly code: ApiErrorCode;
  readonly status: number;
  readonly field: string | undefined;
  /** Extra machine-readable context, e.g. both versions of a mismatch. */
  readonly details: Record<string, unknown>;

  constructor(code: ApiErrorCode, message: string, field?: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.status = STATUS[code];
    this.field = field;
    this.details = details;
  }

  toBody(): ApiErrorBody {
    return {
      error: {
        ...this.details,
        code: this.code,
        message: this.message,
        ...(this.field === undefined ? {} : { field: this.field }),
      },
    };
  }
}

/**
 * The version label matches but the bundle behind it does not: two training runs published under one
 * label. Answered as a version mismatch, since mixing them is exactly what the version check prevents.
 */
export function bundleMismatch(version: string, requestedDigest: string, servedDigest: string): ApiError {
  return new ApiError(
    "version_mismatch",
    `version ${JSON.stringify(version)} here is bundle ${servedDigest.slice(0, 12)}…, not the requested ${requestedDigest.slice(0, 12)}…: two bundles share this version label`,
    "bundleDigest",
    { requestedVersion: version, servedVersion: version, requestedDigest, servedDigest },
  );
}

export function versionMismatch(requested: string, served: string, field = "version"): ApiError {
  return new ApiError(
    "version_mismatch",
    `requested version ${JSON.stringify(requested)} but this host serves ${JSON.stringify(served)}`,
    field,
    { requestedVersion: requested, servedVersion: served },
  );
}
