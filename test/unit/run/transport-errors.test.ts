// The error shapes below were captured from each runtime against real servers (a self-signed
// certificate, an https URL on a plain-HTTP port, a bad header line, a bad status line).
import { describe, expect, it } from "vitest";
import { classifyTransportError } from "../../../src/run/transport-errors.js";

const err = (fields: { name?: string; code?: string; message: string }, cause?: unknown) => Object.assign(new Error(fields.message), fields, cause === undefined ? {} : { cause });
const fetchFailed = (cause: unknown) => err({ name: "TypeError", message: "fetch failed" }, cause);

describe("classifyTransportError", () => {
  it.each([
    ["Node, self-signed", err({ code: "DEPTH_ZERO_SELF_SIGNED_CERT", message: "self-signed certificate" }), /NODE_EXTRA_CA_CERTS/],
    ["Node fetch, self-signed", fetchFailed(err({ code: "DEPTH_ZERO_SELF_SIGNED_CERT", message: "self-signed certificate" })), /NODE_EXTRA_CA_CERTS/],
    ["Node, https on plain HTTP", err({ code: "ERR_SSL_WRONG_VERSION_NUMBER", message: "80FCE6978D7F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number" }), /use an http:\/\/ URL/],
    ["Node, wrong host name", err({ code: "ERR_TLS_CERT_ALTNAME_INVALID", message: "Hostname/IP does not match certificate's altnames" }), /^TLS handshake failed: ERR_TLS_CERT_ALTNAME_INVALID/],
    ["Bun, self-signed", err({ name: "TypeError", code: "DEPTH_ZERO_SELF_SIGNED_CERT", message: "self signed certificate" }), /NODE_EXTRA_CA_CERTS/],
    ["Bun, https on plain HTTP", err({ name: "TypeError", code: "EPROTO", message: "EPROTO: The TLS handshake failed. Does the server speak TLS on this port?" }), /use an http:\/\/ URL/],
    ["Deno, self-signed", fetchFailed(new Error("error sending request for url (https://127.0.0.1:39523/): client error (Connect): invalid peer certificate: Other(OtherError(CaUsedAsEndEntity))")), /DENO_CERT/],
    ["Deno, https on plain HTTP", fetchFailed(new Error("error sending request for url (https://127.0.0.1:37287/): client error (Connect): received corrupt message of type InvalidContentType")), /use an http:\/\/ URL/],
  ])("%s is tls, with a hint", (_name, e, hint) => {
    const { kind, message } = classifyTransportError(e);
    expect(kind).toBe("tls");
    expect(message).toMatch(/^TLS handshake failed: /);
    expect(message).toMatch(hint);
  });

  it.each([
    ["undici, bad header", err({ name: "HTTPParserError", message: "Response does not match the HTTP/1.1 protocol (Invalid header token)" })],
    ["Node fetch, bad status line", fetchFailed(err({ name: "HTTPParserError", message: "Response does not match the HTTP/1.1 protocol (Expected HTTP/, RTSP/ or ICE/)" }))],
    ["llhttp code", err({ code: "HPE_INVALID_HEADER_TOKEN", message: "Invalid header value char" })],
    ["Bun, bad header", err({ name: "TypeError", code: "Malformed_HTTP_Response", message: 'Malformed_HTTP_Response fetching "http://127.0.0.1:42019/".' })],
    ["Deno, bad header", fetchFailed(new Error("error sending request from 127.0.0.1:42420 for http://127.0.0.1:39359/ (127.0.0.1:39359): client error (SendRequest): invalid HTTP header parsed"))],
  ])("%s is protocol", (_name, e) => {
    const { kind, message } = classifyTransportError(e);
    expect(kind).toBe("protocol");
    expect(message).toMatch(/^not a valid HTTP\/1\.1 response: /);
  });

  it.each([
    ["refused", err({ code: "ECONNREFUSED", message: "connect ECONNREFUSED 127.0.0.1:1" }), "connect"],
    ["a host whose name holds ssl and cert", err({ code: "ENOTFOUND", message: "getaddrinfo ENOTFOUND ssl-cert.example" }), "connect"],
    ["connect timeout", err({ code: "UND_ERR_CONNECT_TIMEOUT", message: "Connect Timeout Error" }), "connect"],
    ["other side closed", err({ code: "UND_ERR_SOCKET", message: "other side closed" }), "reset"],
    ["Bun, reset", err({ name: "TypeError", code: "ECONNRESET", message: "ECONNRESET: The socket connection was closed unexpectedly." }), "reset"],
    // A header we were given (--header) that undici refuses is not a response that broke HTTP.
    ["undici, a bad request header", err({ name: "InvalidArgumentError", code: "UND_ERR_INVALID_ARG", message: "invalid header key" }), "reset"],
    ["not an Error", "boom", "reset"],
  ])("%s is %s", (_name, e, kind) => {
    expect(classifyTransportError(e).kind).toBe(kind);
  });

  it("keeps the message to one short line", () => {
    const { message } = classifyTransportError(err({ code: "UND_ERR_SOCKET", message: `closed\n${"x".repeat(1000)}` }));
    expect(message).not.toContain("\n");
    expect(message.length).toBeLessThanOrEqual(303);
  });
});
