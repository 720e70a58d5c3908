import { ExitCode, WspubError } from "../errors.js";

/**
 * Maps AWS SDK / network failures to messages that say what to do. Never includes credentials:
 * the SDK's own messages do not carry secrets, and we only quote names, codes and the endpoint.
 */
export function mapS3Error(error: unknown, where: { bucket: string; endpoint: string; action: string }): WspubError {
  if (error instanceof WspubError) return error;
  const e = error as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const name = e.name ?? "";
  const code = e.code ?? "";
  const status = e.$metadata?.httpStatusCode;
  const at = `${where.endpoint}`;
  const input = (message: string) => new WspubError("store", message, { cause: error, exitCode: ExitCode.usage });
  const failure = (message: string) => new WspubError("store", message, { cause: error, exitCode: ExitCode.failure });
  // Credentials that are missing or rejected are for the user to fix, yet a background publish
  // keeps trying: a role's session may be renewed, a rotated secret put back.
  const credentials = (message: string) =>
    new WspubError("store", message, { cause: error, exitCode: ExitCode.usage, retryable: true });

  if (name === "NoSuchBucket") {
    return input(
      `bucket "${where.bucket}" does not exist at ${at}: create it (e.g. aws s3 mb s3://${where.bucket}) or fix ` +
        `--target`,
    );
  }
  if (name === "CredentialsProviderError" || /Could not load credentials/i.test(e.message ?? "")) {
    return credentials(
      `no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or another ` +
        `source of the standard AWS chain`,
    );
  }
  if (
    [
      "InvalidAccessKeyId",
      "SignatureDoesNotMatch",
      "InvalidToken",
      "ExpiredToken",
      "AuthorizationHeaderMalformed",
    ].includes(name)
  ) {
    return credentials(
      `the S3 server at ${at} rejected the credentials (${name}): check AWS_ACCESS_KEY_ID / ` +
        `AWS_SECRET_ACCESS_KEY or your profile`,
    );
  }
  if (name === "AccessDenied" || status === 403) {
    return input(
      `access denied by ${at} while trying to ${where.action} in bucket "${where.bucket}" (${name || status}): ` +
        `check the credentials and the bucket policy`,
    );
  }
  const net = code || name;
  if (
    [
      "ECONNREFUSED",
      "ENOTFOUND",
      "EAI_AGAIN",
      "EHOSTUNREACH",
      "ENETUNREACH",
      "ECONNRESET",
      "ETIMEDOUT",
      "TimeoutError",
      "RequestTimeout",
    ].includes(net)
  ) {
    return failure(
      `cannot reach the S3 endpoint ${at} (${net}) while trying to ${where.action}: check --endpoint / ` +
        `AWS_ENDPOINT_URL and that the server is up`,
    );
  }
  // An https:// endpoint whose server speaks plain HTTP: OpenSSL reads its answer as a bad record.
  if (code === "ERR_SSL_WRONG_VERSION_NUMBER" || /wrong version number|packet length too long/i.test(e.message ?? "")) {
    return input(
      `the endpoint ${at} does not speak TLS (https://), but plain HTTP answered: use http:// in --endpoint / ` +
        "AWS_ENDPOINT_URL (or enable TLS on the server)",
    );
  }
  if (/certificate|SSL|TLS/i.test(e.message ?? "") || /CERT|SSL/.test(code)) {
    return failure(
      `TLS failure talking to ${at} (${code || name}): ${e.message ?? ""}. Check AWS_CA_BUNDLE / NODE_EXTRA_CA_CERTS`,
    );
  }
  return failure(
    `S3 ${where.action} failed at ${at}: ` +
      `${name || code || "error"}${status ? ` (HTTP ${status})` : ""}${e.message ? `: ${e.message}` : ""}`,
  );
}
