/**
 * The baseline for `hongbao flash-crowd --bare`: a node:http server, alone in its process as
 * hongbao would be, that answers every request with the same small JSON 200 and does nothing
 * else. What a flash crowd gets from it is the most this machine, this Node and this load
 * generator can do; the gap to hongbao is what hongbao's own work costs.
 *
 * Started as `node dist/src/cli/flash-crowd/bare-server.js`; prints one JSON line
 * {"msg":"listening","url":…} on stdout, stops on SIGTERM or SIGINT.
 */
import { createServer } from "node:http";

const BODY = Buffer.from('{"campaignId":"cmp_bare","amount":1314,"status":"claimed"}');
const HEADERS = { "content-type": "application/json; charset=utf-8", "content-length": String(BODY.length) };

const server = createServer((request, response) => {
  const answer = () => {
    response.writeHead(200, HEADERS);
    response.end(BODY);
  };
  // Read the body (transfers send one) before answering, as any real server must.
  if (request.headers["content-length"] === undefined || request.headers["content-length"] === "0") answer();
  else {
    request.on("end", answer);
    request.resume();
  }
});
// As Fastify's: idle keep-alive connections are kept long enough for a crowd that waits to start.
server.keepAliveTimeout = 72_000;
server.headersTimeout = 80_000;
server.requestTimeout = 0;

server.listen({ port: 0, host: "127.0.0.1", backlog: 511 }, () => {
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ msg: "listening", url: `http://127.0.0.1:${port}` })}\n`);
});

const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 5_000).unref();
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
