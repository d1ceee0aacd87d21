// Forwards every request to $PROXY_TARGET with `Authorization: $PROXY_AUTHORIZATION` added, and
// prints its own URL (http://127.0.0.1:PORT) on stdout. The conformance suite sends no
// credentials, and the MCP server component answers 401 to a request without the caller's
// PagerDuty token; the proxy plays the part of a client that has one. Headers are forwarded
// exactly as received (raw, duplicates kept), so the suite's header checks reach the server.
import http from "node:http";

const target = new URL(process.env.PROXY_TARGET);
const authorization = process.env.PROXY_AUTHORIZATION;
if (!authorization) {
  console.error("auth-proxy: PROXY_AUTHORIZATION is not set");
  process.exit(2);
}

const server = http.createServer((request, response) => {
  const headers = [];
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    if (request.rawHeaders[i].toLowerCase() !== "authorization") {
      headers.push(request.rawHeaders[i], request.rawHeaders[i + 1]);
    }
  }
  headers.push("Authorization", authorization);
  const upstream = http.request(
    { host: target.hostname, port: target.port, method: request.method, path: request.url, headers },
    (answer) => {
      response.writeHead(answer.statusCode, answer.rawHeaders);
      answer.pipe(response);
    },
  );
  upstream.on("error", (error) => {
    response.writeHead(502, { "content-type": "text/plain" });
    response.end(`auth-proxy: ${error.message}`);
  });
  request.pipe(upstream);
});
server.listen(0, "127.0.0.1", () => {
  console.log(`http://127.0.0.1:${server.address().port}`);
});
