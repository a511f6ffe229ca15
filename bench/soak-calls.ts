/**
 * How the soak benchmark makes each planned call, with stock clients:
 * connect-node's gRPC transport (a few HTTP/2 connections to each of the
 * server's two ports) for Gets, Puts and streams read to the end or cancelled
 * by an AbortSignal after their first message; and, for a client that stops
 * reading, a raw HTTP/2 connection of its own whose stream is never read
 * (test/harness/raw-wire.ts), which the server must reset after its stall
 * timeout. Each call's outcome goes to a SoakTally.
 */
import * as http2 from 'node:http2';
import { create, toBinary, type JsonObject } from '@bufbuild/protobuf';
import { Code, ConnectError, createClient, type Client } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { BatchGetRequestSchema, DocumentService } from '../clients/ts/src/gen/smarterbase/v1/document_service_pb.js';
import { QueryRequestSchema, QueryService } from '../clients/ts/src/gen/smarterbase/v1/query_service_pb.js';
import { grpcFrame, h2Connect, unreadGrpcCall } from '../test/harness/raw-wire.js';
import type { PlannedCall } from './soak-plan.js';
import type { Outcome, SoakTally } from './soak-summary.js';
import { status as GrpcStatus } from '@grpc/grpc-js';

/** What the calls work on and how long they may take. */
export interface SoakCallOptions {
  /** The server's grpc-js port and connect-node port, in the order of PlannedCall.port. */
  readonly ports: readonly [number, number];
  /** HTTP/2 connections per port for the stock client. */
  readonly connectionsPerPort: number;
  /** The collection loaded before the run. */
  readonly collection: string;
  /** Ids of the loaded documents (Gets, BatchGets). */
  readonly readIds: readonly string[];
  /** Ids Puts overwrite (a fixed set, so the data does not grow). */
  readonly writeIds: readonly string[];
  /** Builds the document a Put writes. */
  readonly document: (seq: number) => JsonObject;
  /** Ids per BatchGet read to the end or cancelled. */
  readonly batchIds: number;
  /** Limit of a Query read to the end or cancelled (stalled ones have none, so they outgrow the flow-control window). */
  readonly queryLimit: number;
  /** Deadline of every stock-client call, ms. */
  readonly callTimeoutMs: number;
  /** How long a stalled stream may stay open before it counts as never reset ('stall-not-reset'), ms. */
  readonly stallGuardMs: number;
}

/** The gRPC code name of a failed call, or 'CLIENT_ERROR' for anything that is not a gRPC status. */
export function outcomeOf(e: unknown): Outcome {
  if (e instanceof ConnectError) return (GrpcStatus[e.code] as string | undefined) ?? `CODE_${e.code}`;
  return 'CLIENT_ERROR';
}

/** Makes planned calls and records their outcomes. */
export class SoakCaller {
  private readonly docs: Client<typeof DocumentService>[][];
  private readonly queries: Client<typeof QueryService>[][];
  private seq = 0;

  /** Creates the stock clients (connections open on first use). */
  constructor(
    private readonly o: SoakCallOptions,
    private readonly tally: SoakTally,
    private readonly random: () => number,
  ) {
    const transports = o.ports.map((port) =>
      Array.from({ length: o.connectionsPerPort }, () => createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` })),
    );
    this.docs = transports.map((list) => list.map((t) => createClient(DocumentService, t)));
    this.queries = transports.map((list) => list.map((t) => createClient(QueryService, t)));
  }

  /** Makes `call`, due at `dueAt` (performance.now() time; latency counts from it); never rejects. */
  async run(call: PlannedCall, dueAt: number): Promise<void> {
    const n = ++this.seq;
    const conn = n % this.o.connectionsPerPort;
    let outcome: Outcome = 'ok';
    let message: string | undefined;
    try {
      if (call.behaviour === 'stall') outcome = await this.stall(call);
      else if (call.method === 'get')
        await this.docs[call.port][conn].get(
          { collection: this.o.collection, id: this.pick(this.o.readIds) },
          { timeoutMs: this.o.callTimeoutMs },
        );
      else if (call.method === 'put') {
        const id = this.pick(this.o.writeIds);
        await this.docs[call.port][conn].put(
          { collection: this.o.collection, id, data: this.o.document(n) },
          { timeoutMs: this.o.callTimeoutMs },
        );
      } else outcome = await this.stream(call, conn);
    } catch (e) {
      outcome = outcomeOf(e);
      message = e instanceof Error ? e.message : String(e);
    }
    this.tally.record(call.method, outcome, performance.now() - dueAt, message);
  }

  private pick(ids: readonly string[]): string {
    return ids[Math.floor(this.random() * ids.length)];
  }

  private batchIds(n: number): string[] {
    return Array.from({ length: n }, () => this.pick(this.o.readIds));
  }

  /** A stream read to its end, or cancelled (AbortSignal) after its first message. */
  private async stream(call: PlannedCall, conn: number): Promise<Outcome> {
    const abort = new AbortController();
    const options = { signal: abort.signal, timeoutMs: this.o.callTimeoutMs };
    const messages =
      call.method === 'query'
        ? this.queries[call.port][conn].query({ collection: this.o.collection, limit: this.o.queryLimit }, options)
        : this.docs[call.port][conn].batchGet({ collection: this.o.collection, ids: this.batchIds(this.o.batchIds) }, options);
    try {
      for await (const _ of messages) {
        if (call.behaviour === 'cancel') abort.abort();
      }
    } catch (e) {
      if (abort.signal.aborted && e instanceof ConnectError && e.code === Code.Canceled) return 'cancelled';
      throw e;
    }
    return call.behaviour === 'cancel' ? 'cancelled' : 'ok';
  }

  /**
   * A client that stops reading: its own HTTP/2 connection, one stream
   * whose response is never read (a Query without limit or a BatchGet of
   * 500 ids, more than the flow-control window), until the server resets it.
   */
  private async stall(call: PlannedCall): Promise<Outcome> {
    const session = await h2Connect(this.o.ports[call.port]);
    session.on('error', () => undefined);
    try {
      const body =
        call.method === 'query'
          ? toBinary(QueryRequestSchema, create(QueryRequestSchema, { collection: this.o.collection }))
          : toBinary(BatchGetRequestSchema, create(BatchGetRequestSchema, { collection: this.o.collection, ids: this.batchIds(500) }));
      const path = call.method === 'query' ? '/smarterbase.v1.QueryService/Query' : '/smarterbase.v1.DocumentService/BatchGet';
      const stream = unreadGrpcCall(session, path, grpcFrame(body));
      const rst = await new Promise<number | 'guard'>((resolve) => {
        const guard = setTimeout(() => resolve('guard'), this.o.stallGuardMs);
        stream.once('close', () => {
          clearTimeout(guard);
          resolve(stream.rstCode ?? 0);
        });
      });
      if (rst === 'guard') return 'stall-not-reset';
      const reset = rst === http2.constants.NGHTTP2_CANCEL || rst === http2.constants.NGHTTP2_INTERNAL_ERROR;
      return reset ? 'stall-reset' : `stall-closed-rst-${rst}`;
    } finally {
      session.destroy();
    }
  }
}
