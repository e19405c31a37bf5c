// What kind of failure a transport error is. The shapes differ by runtime (undici codes and
// class names on Node, Bun's codes, Deno's rustls and hyper messages) and the useful part is
// often in `cause` (Node's fetch wraps everything in "TypeError: fetch failed"), so the whole
// chain is read as one text and matched against one pattern per kind, most specific first.
// Web-standard only.
import type { ErrorKind } from "./types.js";

/** Longest transport error message kept. */
const MESSAGE_CHARS = 300;

/**
 * Certificate and handshake failures: Node and Bun codes (DEPTH_ZERO_SELF_SIGNED_CERT,
 * UNABLE_TO_VERIFY_LEAF_SIGNATURE, CERT_HAS_EXPIRED, ERR_TLS_CERT_ALTNAME_INVALID,
 * ERR_SSL_WRONG_VERSION_NUMBER for an https URL on a plain-HTTP port), Deno's rustls messages
 * ("invalid peer certificate: UnknownIssuer", "received corrupt message"). Codes match by case
 * and whole word, so a host name holding "ssl" or "cert" is not taken for one.
 */
const TLS_CODE = /\b(DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|CERT_[A-Z_]+|ERR_TLS_[A-Z_]+|ERR_SSL_[A-Z_]+|EPROTO)\b/;
const TLS_TEXT = /self[- ]signed certificate|certificate (has expired|is not yet valid|verify failed)|invalid peer certificate|TLS handshake|SSL routines|received corrupt message|wrong version number/i;
const CONNECT =
  /ECONNREFUSED|ConnectionRefused|connection refused|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|EADDRNOTAVAIL|UND_ERR_CONNECT_TIMEOUT|ConnectTimeout|ConnectionTimeout|tcp connect|connect error|FailedToOpenSocket|Unable to connect/i;
/**
 * A response that is not HTTP/1.1. undici throws HTTPParserError ("Response does not match the
 * HTTP/1.1 protocol (Invalid header token)") with no code; llhttp codes are HPE_*; Bun says
 * Malformed_HTTP_Response, Deno (hyper) "invalid HTTP header parsed". Not undici's
 * InvalidArgumentError "invalid header": that is a header we were given, not one we received.
 */
const PROTOCOL = /HPE_|HTTPParserError|does not match the HTTP|Malformed_HTTP|malformed http|invalid http|InvalidHTTPResponse|parse error/i;

export interface TransportFailure {
  kind: ErrorKind;
  message: string;
}

/** The kind and a one-line message of a transport error (anything thrown or passed to fail()). */
export function classifyTransportError(err: unknown): TransportFailure {
  const text = errorChain(err);
  // TLS before connect: Deno words a refused certificate "client error (Connect): invalid peer certificate".
  const kind: ErrorKind = TLS_CODE.test(text) || TLS_TEXT.test(text) ? "tls" : CONNECT.test(text) ? "connect" : PROTOCOL.test(text) ? "protocol" : "reset";
  if (kind === "tls") return { kind, message: shorten(`TLS handshake failed: ${text}`) + tlsHint(text) };
  if (kind === "protocol") return { kind, message: shorten(`not a valid HTTP/1.1 response: ${text}`) };
  return { kind, message: shorten(text) };
}

/** What to try, for the two TLS failures a user can fix from this side. */
function tlsHint(text: string): string {
  if (/WRONG_VERSION_NUMBER|wrong version number|corrupt message|EPROTO/.test(text)) return " (is the server plain HTTP? then use an http:// URL)";
  if (/SELF_SIGNED|self[- ]signed|UNABLE_TO_(VERIFY|GET)|UnknownIssuer|CaUsedAsEndEntity/i.test(text)) {
    return " (a certificate from a private CA: NODE_EXTRA_CA_CERTS=ca.pem trusts it on Node and Bun, DENO_CERT on Deno)";
  }
  return "";
}

/** "code: message <- cause's code: message ..." for up to four links of the cause chain. */
function errorChain(err: unknown): string {
  const seen: string[] = [];
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e !== undefined && e !== null; depth++) {
    if (typeof e === "object") {
      const o = e as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown };
      const label = typeof o.code === "string" ? o.code : typeof o.name === "string" ? o.name : "";
      const msg = typeof o.message === "string" ? o.message : "";
      seen.push(label && msg && !msg.startsWith(label) ? `${label}: ${msg}` : msg || label);
      e = o.cause;
    } else {
      seen.push(String(e));
      break;
    }
  }
  return seen.filter((s) => s.length > 0).join(" <- ") || "unknown transport error";
}

function shorten(s: string): string {
  const flat = s.replace(/\s+/g, " ").trim();
  return flat.length > MESSAGE_CHARS ? `${flat.slice(0, MESSAGE_CHARS)}...` : flat;
}
