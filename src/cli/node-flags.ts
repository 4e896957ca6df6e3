/**
 * V8 flags a server facing a crowd should run with. A claim lives from the moment it is read
 * until its batch commits and its answer is written, a few milliseconds to a second; with
 * V8's default 16 MiB semi-spaces most of them outlive two scavenges, are copied into the
 * old generation and collected there. 64 MiB semi-spaces let them die young: at 300 000
 * users the crowd was served in 12.4 s instead of 15.5 s, with garbage collection down from
 * 18 % to 10 % of the server's time (docs/decisions/0014-crowd-gate.md).
 */
export const SERVER_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=64"];
